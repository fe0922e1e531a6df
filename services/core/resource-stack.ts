/** Where a close that failed is reported (the process logger fits). */
export interface ResourceStackLogger {
  error(fields: Record<string, unknown>, message: string): void
}

interface Entry {
  name: string
  close: () => void | Promise<void>
}

interface Failure {
  name: string
  error: unknown
}

/**
 * What a process has opened, closed in reverse. Each resource registers its close right after it
 * opens, so a start that fails halfway and a shutdown unwind the same list: nothing opened can be
 * forgotten by one of two teardown paths.
 */
export class ResourceStack {
  private readonly logger: ResourceStackLogger
  private readonly entries: Entry[] = []
  private unwinding: Promise<void> | undefined

  constructor(logger: ResourceStackLogger) {
    this.logger = logger
  }

  /**
   * Registers `close` for the resource just opened; `unwind` calls it before the closes registered
   * earlier. After `unwind` has begun there is nothing left to protect the resource from, so it is
   * closed at once.
   */
  defer(name: string, close: () => void | Promise<void>): void {
    if (this.unwinding) {
      void this.closeOne({ name, close })
      return
    }
    this.entries.push({ name, close })
  }

  /** The names registered and not yet closed, oldest first. */
  get names(): string[] {
    return this.entries.map((entry) => entry.name)
  }

  /**
   * Closes every resource, newest first, one at a time (a resource may still be used by the one
   * opened after it until that one is closed). A close that fails is logged and the others still run;
   * the returned promise then rejects, naming them. Idempotent: later calls get the same promise.
   */
  unwind(): Promise<void> {
    this.unwinding ??= (async () => {
      const failures: Failure[] = []
      for (let entry = this.entries.pop(); entry; entry = this.entries.pop()) {
        await this.closeOne(entry, failures)
      }
      if (failures.length > 0) {
        throw new AggregateError(
          failures.map((failure) => failure.error),
          `could not close ${failures.map((failure) => failure.name).join(', ')}`,
        )
      }
    })()
    return this.unwinding
  }

  /** Runs one close; never throws, so one failure cannot skip the rest. */
  private async closeOne(entry: Entry, failures: Failure[] = []): Promise<void> {
    try {
      await entry.close()
    } catch (error) {
      this.logger.error({ err: error, resource: entry.name }, `closing ${entry.name} failed`)
      failures.push({ name: entry.name, error })
    }
  }
}

/**
 * An expected failure of an app command (a bad file, a refused deploy, drift under `--exit-code`): the
 * CLI prints its message, without a stack trace, and exits with `exitCode`.
 */
export class AppCliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
    this.name = 'AppCliError'
  }
}

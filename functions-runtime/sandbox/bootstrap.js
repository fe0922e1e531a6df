// @ts-check
/**
 * The script each isolate runs before the function's module. It takes the three host capabilities the
 * instance planted as globals (a Reference to the host's `call`, a log Callback, the fetch flag), hides
 * them in a closure, deletes the globals, and defines what functions see: `console`, `setTimeout`,
 * optionally `fetch`, and the `ctx` built per invocation (SDK-shaped `db`, `storage`, `queue` clients
 * that reach the platform only through the host's `call`). Its completion value is `{configure,
 * setHandler, invoke, start, settled, wait}`, which the host keeps as References.
 *
 * A module runs one of two ways, chosen by setHandler once per isolate: its default export gets
 * `(event, ctx)`; a portable, Lambda-style `handler` export gets `(event, context)`, where `context` is
 * Lambda's (`awsRequestId`, `getRemainingTimeInMillis()`…) with `ctx` as `context.stratus`. The host
 * shapes the events of a portable handler (API Gateway, SQS); this script only builds its context.
 *
 * Everything here runs inside the isolate: it is plain JavaScript (instance.ts reads this file and
 * compiles it as a script), and nothing in it is trusted by the host (the host validates every call
 * and treats every result as untrusted input). Every built-in it relies on is taken here, before the
 * function's code runs, so code that replaces a global or a prototype method (`encodeURIComponent`,
 * `String.prototype.split`, `Promise.prototype.then`…) cannot change the calls this file makes.
 *
 * It is type-checked (`// @ts-check`) through JSDoc only, so that it stays a script V8 runs as it is.
 */

/**
 * The isolate's global object as this script sees it: the host's capabilities, planted by instance.ts
 * (`load`) and deleted here, then the globals functions see. A local type rather than a global .d.ts,
 * so that these names do not become globals of the whole project (whose globalThis is Node's).
 * @typedef {object} IsolateGlobal
 * @property {HostReference} [__stratus_host]
 * @property {LogSink} [__stratus_log]
 * @property {FinishSink} [__stratus_finish]
 * @property {unknown} [__stratus_fetch] `FUNCTIONS_ALLOW_FETCH`: fetch is defined only when it is `true`.
 * @property {SandboxConsole} console
 * @property {(fn: unknown, ms: number, ...args: unknown[]) => number} setTimeout
 * @property {(id?: unknown) => void} clearTimeout
 * @property {(input: unknown, init?: FetchInit) => Promise<FetchResponse>} [fetch]
 */
/**
 * The isolated-vm Reference to the host's `call` (instance.ts `hostCall`), as seen from inside.
 * @typedef {object} HostReference
 * @property {(this: HostReference, receiver: undefined, args: HostCallArgs, options: HostApplyOptions) => Promise<HostAnswer>} apply
 */
/** @typedef {[op: string, json: string, body: Body | undefined]} HostCallArgs */
/**
 * Arguments copied in, the answer's promise followed and the answer copied out.
 * @typedef {{ arguments: { copy: true }, result: { promise: true, copy: true } }} HostApplyOptions
 */
/**
 * What the host answers every call: JSON (a {@link HostReply}), then the answer's bytes if it has any.
 * @typedef {[json: string, bytes?: ArrayBuffer]} HostAnswer
 */
/** @typedef {{ value?: unknown, error?: HostError }} HostReply */
/**
 * A platform error as the host sends it (API.md's `{code, message, details?}`, with its status).
 * @typedef {{ code?: string, message?: string, status?: number, details?: unknown }} HostError
 */
/** @typedef {{ value: unknown, bytes: ArrayBuffer | undefined }} CallResult */
/** A call's body: copied beside its JSON payload, never re-encoded. @typedef {Uint8Array | string} Body */
/**
 * Log lines cross to the host through this ivm.Callback; `dropped` carries how many were held back.
 * @typedef {(level: LogLevel | 'dropped', text: string) => void} LogSink
 */
/**
 * An inline run's result, when it settled having queued messages for the host (see `start`).
 * @typedef {(seq: number, out: string) => void} FinishSink
 */
/** @typedef {'info' | 'warn' | 'error' | 'debug'} LogLevel */
/**
 * `ctx.log`: each call is one log line of its arguments.
 * @typedef {Record<LogLevel, (...args: unknown[]) => void>} Logger
 */
/** @typedef {Readonly<Record<LogLevel | 'log', (...args: unknown[]) => void>>} SandboxConsole */
/**
 * Set by configure (instance.ts's limits).
 * @typedef {{ logLines: number, logLineLength: number, maxPayloadBytes: number }} Limits
 */
/**
 * What every invocation in this isolate shares, set by configure: it runs one version.
 * @typedef {object} Fixed
 * @property {string | undefined} functionName
 * @property {number | undefined} version
 * @property {Readonly<Record<string, string>>} env
 * @property {string | undefined} memoryLimitInMB A string, as Lambda's context has it.
 * @property {string | undefined} invokedFunctionArn
 */
/**
 * Which export runs (the host's FunctionEntry): `default` gets `(event, ctx)`, `handler` gets
 * `(event, context)`.
 * @typedef {'default' | 'handler'} Entry
 */
/**
 * The module's exports as setHandler reads them (a module namespace object: reading it runs no code).
 * @typedef {{ default?: unknown, handler?: unknown }} ModuleNamespace
 */
/**
 * The `context` of a portable handler: Lambda's, with the platform's clients as `stratus`. Not frozen:
 * Lambda code assigns `callbackWaitsForEmptyEventLoop`, which a frozen object would refuse with a throw.
 * @typedef {object} LambdaContext
 * @property {string} awsRequestId The execution id.
 * @property {string | undefined} functionName
 * @property {string} functionVersion
 * @property {string | undefined} memoryLimitInMB
 * @property {string | undefined} invokedFunctionArn
 * @property {string} logGroupName
 * @property {string} logStreamName
 * @property {boolean} callbackWaitsForEmptyEventLoop Kept for ported code; an invocation ends when its
 *   promise settles, whatever it says.
 * @property {() => number} getRemainingTimeInMillis
 * @property {unknown} stratus The `ctx` a default export gets.
 */

/**
 * @typedef {object} RequestOptions
 * @property {Record<string, string>} [query]
 * @property {Record<string, string>} [headers]
 * @property {unknown} [json] Sent as JSON.
 * @property {unknown} [body] Bytes or a string, sent as they are.
 * @property {boolean} [raw] The answer is `{info, bytes}`: the platform's metadata and its bytes.
 */
/**
 * What the host's `request` op reads (functions-runtime/host.ts).
 * @typedef {object} RequestPayload
 * @property {string} method
 * @property {string} path
 * @property {Record<string, string> | undefined} query
 * @property {Record<string, string> | undefined} headers
 * @property {boolean} raw
 * @property {true} [jsonBody] The body is JSON (the host sets its content-type).
 */
/** @typedef {{ info: { contentType?: string } | undefined, bytes: ArrayBuffer | undefined }} RawAnswer */
/** @typedef {{ ifVersion?: number }} WriteOptions */
/** @typedef {[field: string, op: string, value: unknown]} WhereClause */
/** @typedef {[field: string, direction: 'asc' | 'desc']} OrderClause */
/**
 * A query's parts: each builder method returns a new Query with one of them changed.
 * @typedef {object} QueryState
 * @property {WhereClause[]} where
 * @property {OrderClause[]} orderBy
 * @property {number | undefined} limit
 * @property {string | null | undefined} cursor
 */
/**
 * One write of a batch, as POST /db/v1/batch takes it.
 * @typedef {object} BatchWrite
 * @property {'create' | 'set' | 'update' | 'delete'} op
 * @property {string} collection
 * @property {string} id
 * @property {unknown} [data]
 * @property {number} [ifVersion]
 */
/** @typedef {string | Uint8Array | ArrayBuffer | ArrayBufferView} UploadBody */
/** @typedef {{ contentType?: string, metadata?: Record<string, unknown> }} UploadOptions */
/** @typedef {{ prefix?: string, limit?: number, cursor?: string | null }} ListOptions */
/** @typedef {{ delayMs?: number, dedupId?: string }} PublishOptions */
/** @typedef {{ method?: string, headers?: Record<string, string>, body?: unknown }} FetchInit */
/**
 * What the host's `fetch` op answers (functions-runtime/host.ts `outbound`), beside the body's bytes.
 * @typedef {{ status: number, statusText: string, url: string, headers?: Record<string, string> }} FetchAnswer
 */
/**
 * The subset of a fetch Response that functions get.
 * @typedef {object} FetchResponse
 * @property {boolean} ok
 * @property {number} status
 * @property {string} statusText
 * @property {string} url
 * @property {{ get: (name: unknown) => string | null }} headers
 * @property {() => Promise<string>} text
 * @property {() => Promise<unknown>} json
 * @property {() => Promise<ArrayBuffer>} arrayBuffer
 */
/**
 * The function's default export (called with the event and ctx) or its Lambda-style `handler` (called
 * with the event and a {@link LambdaContext}); what it returns is its result.
 * @typedef {(event: unknown, ctx: unknown) => unknown} Handler
 */
/**
 * An inline run (see `start`): its result waits here when it settled having queued nothing.
 * @typedef {{ seq: number, done: boolean, out: string | undefined, promise: Promise<string> }} InlineRun
 */
/**
 * The script's completion value, which instance.ts keeps as References.
 * @typedef {object} BootstrapApi
 * @property {(functionName: string, versionNumber: number, envJson: string, limitsJson: string, memoryMb: number, functionArn: string) => void} configure
 * @property {(exports: ModuleNamespace, entry: Entry | undefined) => Entry} setHandler
 * @property {(eventJson: string, executionId: string, deadline: number) => Promise<string>} invoke
 * @property {(seq: number, eventJson: string, executionId: string, deadline: number) => void} start
 * @property {(seq: number) => string | boolean} settled
 * @property {(seq: number) => Promise<string>} wait
 */

;(() => {
  // Node's types describe globalThis in the rest of the project; this one is the isolate's.
  const isolateGlobal = /** @type {IsolateGlobal} */ (/** @type {unknown} */ (globalThis))
  // The host plants all three before this script runs.
  const host = /** @type {HostReference} */ (isolateGlobal.__stratus_host)
  const logSink = /** @type {LogSink} */ (isolateGlobal.__stratus_log)
  const finishSink = /** @type {FinishSink} */ (isolateGlobal.__stratus_finish)
  const fetchEnabled = isolateGlobal.__stratus_fetch === true
  delete isolateGlobal.__stratus_host
  delete isolateGlobal.__stratus_log
  delete isolateGlobal.__stratus_finish
  delete isolateGlobal.__stratus_fetch
  const stringify = JSON.stringify
  const parse = JSON.parse
  const PromiseCtor = Promise
  const StringCtor = String
  const ErrorCtor = Error
  const TypeErrorCtor = TypeError
  const Uint8ArrayCtor = Uint8Array
  const ArrayBufferCtor = ArrayBuffer
  const freeze = Object.freeze
  const isView = ArrayBuffer.isView
  const keysOf = Object.keys
  const isArray = Array.isArray
  const encode = encodeURIComponent
  const fromCodePoint = String.fromCodePoint
  const dateNow = Date.now
  const mathMax = Math.max
  // Prototype methods as plain functions: `then(p, f)` instead of `p.then(f)`. The checker cannot
  // follow `bind.bind(call)`, hence the type; each method is cast to the one signature used here.
  /** @type {<T, A extends unknown[], R>(method: (this: T, ...args: A) => R) => (self: T, ...args: A) => R} */
  const uncurry = Function.prototype.bind.bind(Function.prototype.call)
  const then = uncurry(
    /** @type {<T, R1 = T, R2 = never>(this: Promise<T>, onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | undefined, onRejected?: (reason: unknown) => R2 | PromiseLike<R2>) => Promise<R1 | R2>} */ (
      Promise.prototype.then
    ),
  )
  const split = uncurry(/** @type {(this: string, separator: string) => string[]} */ (String.prototype.split))
  const sliceString = uncurry(
    /** @type {(this: string, start: number, end: number) => string} */ (String.prototype.slice),
  )
  const map = uncurry(
    /** @type {<T, U>(this: T[], f: (value: T, index: number, array: T[]) => U) => U[]} */ (
      Array.prototype.map
    ),
  )
  const join = uncurry(/** @type {(this: unknown[], separator: string) => string} */ (Array.prototype.join))
  const concat = uncurry(/** @type {<T>(this: T[], items: T[]) => T[]} */ (Array.prototype.concat))
  const push = uncurry(/** @type {<T>(this: T[], item: T) => number} */ (Array.prototype.push))
  const apply = uncurry(
    /** @type {(this: Function, thisArg: unknown, args: unknown[]) => unknown} */ (Function.prototype.apply),
  )
  const setAdd = uncurry(/** @type {<T>(this: Set<T>, value: T) => Set<T>} */ (Set.prototype.add))
  const setDelete = uncurry(/** @type {<T>(this: Set<T>, value: T) => boolean} */ (Set.prototype.delete))
  const setHas = uncurry(/** @type {<T>(this: Set<T>, value: T) => boolean} */ (Set.prototype.has))
  const SetCtor = Set
  const hostApply = uncurry(/** @type {HostReference} */ (Object.getPrototypeOf(host)).apply)

  // Set once by configure, before the function's module is loaded.
  /** @type {Readonly<Limits>} */
  let limits = { logLines: 100, logLineLength: 2000, maxPayloadBytes: 6 * 1024 * 1024 }
  // Log lines of the current invocation: past the limit they are counted here, not sent to the host.
  let logLines = 0
  let droppedLogs = 0

  // Messages queued for the host (log lines, host calls): an inline run's result must not overtake them.
  let sent = 0

  /**
   * `body` is bytes or a string, sent beside the JSON payload so that it is copied, never re-encoded.
   * @param {string} op
   * @param {object} payload
   * @param {Body} [body]
   * @returns {Promise<CallResult>}
   */
  function call(op, payload, body) {
    const json = stringify(payload)
    const size =
      json.length +
      (body === undefined
        ? 0
        : body.length === undefined
          ? /** @type {Uint8Array} */ (body).byteLength
          : body.length)
    if (size > limits.maxPayloadBytes) return PromiseCtor.reject(tooLargeCall())
    sent++
    return then(
      hostApply(host, undefined, [op, json, body], {
        arguments: { copy: true },
        result: { promise: true, copy: true },
      }),
      (out) => {
        const answer = /** @type {HostReply | null} */ (parse(out[0]))
        if (answer?.error) throw toError(answer.error)
        return { value: answer ? answer.value : undefined, bytes: out[1] }
      },
    )
  }

  function tooLargeCall() {
    return new StratusError(
      'request/too-large',
      `A ctx call may carry at most ${limits.maxPayloadBytes} bytes (FUNCTIONS_MAX_PAYLOAD_BYTES)`,
      413,
    )
  }

  class StratusError extends ErrorCtor {
    /**
     * @param {string} code
     * @param {string} message
     * @param {number} [status]
     * @param {unknown} [details]
     */
    constructor(code, message, status, details) {
      super(message)
      this.name = 'StratusError'
      this.code = code
      this.status = status
      this.details = details
    }
  }
  /** @param {HostError} e */
  function toError(e) {
    return new StratusError(
      StringCtor(e.code || 'internal'),
      StringCtor(e.message || 'failed'),
      e.status,
      e.details,
    )
  }

  // JSON.stringify of a huge value is one long engine call that a time limit cannot interrupt: on
  // an inline run it would hold the host's thread. This walk (plain JavaScript, so interruptible) says
  // whether the JSON would certainly be longer than `limit` characters, counting only string lengths
  // and one character per value, so a value it passes is cheap to serialise.
  /**
   * @param {unknown} value
   * @param {number} limit
   * @returns {boolean}
   */
  function jsonExceeds(value, limit) {
    // Most results are a primitive: answered without the walk's set and stack (it runs on every call).
    if (typeof value === 'string') return value.length + 2 > limit
    if (value === null || typeof value !== 'object') return false
    let size = 0
    const seen = new SetCtor()
    /** @type {unknown[]} */
    const stack = [value]
    while (stack.length > 0) {
      const v = stack.pop()
      size++
      if (typeof v === 'string') size += v.length
      else if (v !== null && typeof v === 'object') {
        if (setHas(seen, v)) continue
        setAdd(seen, v)
        // A typed array serialises as {"0":…,"1":…}: at least a character per byte, roughly.
        if (isView(v)) size += v.byteLength
        else if (isArray(v)) {
          size += v.length
          if (size > limit) return true
          for (let i = 0; i < v.length; i++) push(stack, v[i])
        } else {
          const record = /** @type {Record<string, unknown>} */ (v)
          const keys = keysOf(record)
          for (let i = 0; i < keys.length; i++) {
            const key = /** @type {string} */ (keys[i])
            size += key.length + 3
            push(stack, record[key])
          }
        }
      }
      if (size > limit) return true
    }
    return false
  }

  /**
   * @param {unknown[]} args
   * @returns {string}
   */
  function format(args) {
    let out = ''
    for (let i = 0; i < args.length; i++) {
      const a = args[i]
      let s
      if (typeof a === 'string') s = a
      else if (a instanceof ErrorCtor) s = a.stack || StringCtor(a)
      else {
        try {
          // Serialised up to a bound well past the line's length (its start is what the line shows).
          s = jsonExceeds(a, limits.logLineLength * 64) ? '[a value too large to log]' : stringify(a)
          if (s === undefined) s = StringCtor(a)
        } catch (_) {
          s = StringCtor(a)
        }
      }
      // Cut before joining: a line is cut to logLineLength anyway, and a huge piece would be copied.
      if (s.length > limits.logLineLength) s = sliceString(s, 0, limits.logLineLength + 1)
      out += (i ? ' ' : '') + s
    }
    return out
  }
  // Lines past the limit never cross to the host (a logging loop must not flood its event loop), and
  // each line crosses cut to the length the host keeps (plus one character, so the host marks the cut).
  /**
   * @param {LogLevel} level
   * @param {unknown[]} args
   */
  function log(level, args) {
    if (logLines >= limits.logLines) {
      droppedLogs++
      return
    }
    logLines++
    sent++
    const text = format(args)
    logSink(level, text.length > limits.logLineLength ? sliceString(text, 0, limits.logLineLength + 1) : text)
  }
  function endLogs() {
    if (droppedLogs > 0) {
      sent++
      logSink('dropped', StringCtor(droppedLogs))
    }
    logLines = 0
    droppedLogs = 0
  }
  /** @type {Readonly<Logger>} */
  const logger = freeze({
    info: (...args) => {
      log('info', args)
    },
    warn: (...args) => {
      log('warn', args)
    },
    error: (...args) => {
      log('error', args)
    },
    debug: (...args) => {
      log('debug', args)
    },
  })
  isolateGlobal.console = freeze({
    log: logger.info,
    info: logger.info,
    debug: logger.debug,
    warn: logger.warn,
    error: logger.error,
  })

  /**
   * Minimal UTF-8, since a bare isolate has no TextEncoder/TextDecoder. A sequence cut by the end reads
   * `undefined`, which `&` turns into 0 (hence the casts to number).
   * @param {Uint8Array} bytes
   * @returns {string}
   */
  // biome-ignore format: the formatter would move each cast off its `bytes[i++]`
  function utf8Decode(bytes) {
    let out = ''
    for (let i = 0; i < bytes.length; ) {
      let c = /** @type {number} */ (bytes[i++])
      if (c >= 0xf0)
        c =
          ((c & 7) << 18) |
          ((/** @type {number} */ (bytes[i++]) & 63) << 12) |
          ((/** @type {number} */ (bytes[i++]) & 63) << 6) |
          (/** @type {number} */ (bytes[i++]) & 63)
      else if (c >= 0xe0)
        c =
          ((c & 15) << 12) |
          ((/** @type {number} */ (bytes[i++]) & 63) << 6) |
          (/** @type {number} */ (bytes[i++]) & 63)
      else if (c >= 0xc0) c = ((c & 31) << 6) | (/** @type {number} */ (bytes[i++]) & 63)
      out += fromCodePoint(c)
    }
    return out
  }
  /**
   * @param {unknown} body
   * @returns {Uint8Array | undefined}
   */
  function toBytes(body) {
    if (body === undefined || body === null) return undefined
    if (body instanceof Uint8ArrayCtor) return body
    if (body instanceof ArrayBufferCtor) return new Uint8ArrayCtor(body)
    if (isView(body)) return new Uint8ArrayCtor(body.buffer, body.byteOffset, body.byteLength)
    return undefined
  }

  let timerIds = 0
  /** @type {Set<unknown>} */
  const cancelled = new Set()
  // Rest parameters, not `arguments` and a slice: they build the array without any method user code could replace.
  isolateGlobal.setTimeout = (fn, ms, ...args) => {
    const id = ++timerIds
    then(
      call('sleep', { ms: +ms || 0 }),
      () => {
        if (setDelete(cancelled, id)) return
        if (typeof fn === 'function') apply(fn, undefined, args)
      },
      () => {},
    )
    return id
  }
  isolateGlobal.clearTimeout = (id) => {
    if (id) setAdd(cancelled, id)
  }

  /**
   * A call to the platform's HTTP API (/db, /storage, /queue), made by the host on the function's behalf.
   * @param {string} method
   * @param {string} path
   * @param {RequestOptions} [options]
   * @returns {Promise<unknown>} The answer's JSON value, or a {@link RawAnswer} when `raw` is set.
   */
  function request(method, path, options) {
    const o = options || {}
    const bytes = toBytes(o.body)
    /** @type {Body | undefined} */
    let body = bytes
    if (bytes === undefined && o.json !== undefined && jsonExceeds(o.json, limits.maxPayloadBytes)) {
      return PromiseCtor.reject(tooLargeCall())
    }
    if (body === undefined)
      body = o.json !== undefined ? stringify(o.json) : typeof o.body === 'string' ? o.body : undefined
    /** @type {RequestPayload} */
    const payload = { method: method, path: path, query: o.query, headers: o.headers, raw: !!o.raw }
    if (bytes === undefined && o.json !== undefined) payload.jsonBody = true
    return then(call('request', payload, body), (r) => (o.raw ? { info: r.value, bytes: r.bytes } : r.value))
  }
  /** @param {unknown} s */
  function seg(s) {
    return encode(StringCtor(s))
  }
  /** @param {unknown} key */
  function keyPath(key) {
    return join(map(split(StringCtor(key), '/'), encode), '/')
  }

  class DocumentReference {
    /**
     * @param {string} collection
     * @param {string} id
     */
    constructor(collection, id) {
      this.collection = collection
      this.id = id
      this.path = `/db/v1/collections/${seg(collection)}/documents/${seg(id)}`
    }
    get() {
      return then(request('GET', this.path), undefined, (e) => {
        if (e && /** @type {{ code?: unknown }} */ (e).code === 'db/not-found') return null
        throw e
      })
    }
    /**
     * @param {unknown} data
     * @param {WriteOptions} [options]
     */
    set(data, options) {
      return request('PUT', this.path, { json: { data: data }, headers: ifMatch(options) })
    }
    /**
     * @param {unknown} data
     * @param {WriteOptions} [options]
     */
    update(data, options) {
      return request('PATCH', this.path, { json: { data: data }, headers: ifMatch(options) })
    }
    /** @param {WriteOptions} [options] */
    delete(options) {
      return then(request('DELETE', this.path, { headers: ifMatch(options) }), () => {})
    }
  }
  /** @param {WriteOptions | undefined} options */
  function ifMatch(options) {
    return options && options.ifVersion !== undefined
      ? { 'if-match': StringCtor(options.ifVersion) }
      : undefined
  }

  class Query {
    /**
     * @param {string} collection
     * @param {QueryState} [state]
     */
    constructor(collection, state) {
      this.collection = collection
      this.state = state || { where: [], orderBy: [], limit: undefined, cursor: undefined }
    }
    /** @param {Partial<QueryState>} change */
    with(change) {
      const s = this.state
      return new Query(this.collection, {
        where: change.where || s.where,
        orderBy: change.orderBy || s.orderBy,
        limit: 'limit' in change ? change.limit : s.limit,
        cursor: 'cursor' in change ? change.cursor : s.cursor,
      })
    }
    /**
     * @param {string} field
     * @param {string} op
     * @param {unknown} value
     */
    where(field, op, value) {
      return this.with({ where: concat(this.state.where, [[field, op, value]]) })
    }
    /**
     * @param {string} field
     * @param {'asc' | 'desc'} [direction]
     */
    orderBy(field, direction) {
      return this.with({ orderBy: concat(this.state.orderBy, [[field, direction || 'asc']]) })
    }
    /** @param {number} n */
    limit(n) {
      return this.with({ limit: n })
    }
    /** @param {string | null} cursor */
    startAfter(cursor) {
      return this.with({ cursor: cursor })
    }
    get() {
      const s = this.state
      /** @type {Record<string, string>} */
      const query = {}
      if (s.where.length) query.where = stringify(s.where)
      if (s.orderBy.length) query.orderBy = stringify(s.orderBy)
      if (s.limit !== undefined) query.limit = StringCtor(s.limit)
      if (s.cursor) query.cursor = s.cursor
      return then(
        /** @type {Promise<{ documents: unknown[], nextCursor?: string | null }>} */ (
          request('GET', `/db/v1/collections/${seg(this.collection)}/documents`, { query: query })
        ),
        (r) => ({ docs: r.documents, nextCursor: r.nextCursor === undefined ? null : r.nextCursor }),
      )
    }
  }
  class CollectionReference extends Query {
    /** @param {string} id */
    doc(id) {
      return new DocumentReference(this.collection, id)
    }
    /**
     * @param {unknown} data
     * @param {{ id?: string }} [options]
     */
    add(data, options) {
      /** @type {{ data: unknown, id?: string }} */
      const body = { data: data }
      if (options && options.id !== undefined) body.id = options.id
      return request('POST', `/db/v1/collections/${seg(this.collection)}/documents`, { json: body })
    }
  }

  // The SDK's WriteBatch: writes committed all together (POST /db/v1/batch), or none of them.
  class WriteBatch {
    constructor() {
      /** @type {BatchWrite[]} */
      this.writes = []
      this.committed = false
    }
    /**
     * @param {DocumentReference} ref
     * @param {unknown} data
     */
    create(ref, data) {
      return addWrite(this, { op: 'create', collection: ref.collection, id: ref.id, data: data })
    }
    /**
     * @param {DocumentReference} ref
     * @param {unknown} data
     * @param {WriteOptions} [options]
     */
    set(ref, data, options) {
      return addWrite(
        this,
        withVersion({ op: 'set', collection: ref.collection, id: ref.id, data: data }, options),
      )
    }
    /**
     * @param {DocumentReference} ref
     * @param {unknown} data
     * @param {WriteOptions} [options]
     */
    update(ref, data, options) {
      return addWrite(
        this,
        withVersion({ op: 'update', collection: ref.collection, id: ref.id, data: data }, options),
      )
    }
    /**
     * @param {DocumentReference} ref
     * @param {WriteOptions} [options]
     */
    delete(ref, options) {
      return addWrite(this, withVersion({ op: 'delete', collection: ref.collection, id: ref.id }, options))
    }
    commit() {
      if (this.committed)
        return PromiseCtor.reject(new TypeErrorCtor('Stratus: this batch was already committed'))
      this.committed = true
      return then(
        /** @type {Promise<{ results: unknown[] }>} */ (
          request('POST', '/db/v1/batch', { json: { writes: this.writes } })
        ),
        (r) => r.results,
      )
    }
  }
  /**
   * @param {WriteBatch} batch
   * @param {BatchWrite} write
   */
  function addWrite(batch, write) {
    if (batch.committed) throw new TypeErrorCtor('Stratus: this batch was already committed')
    push(batch.writes, write)
    return batch
  }
  /**
   * @param {BatchWrite} write
   * @param {WriteOptions | undefined} options
   */
  function withVersion(write, options) {
    if (options && options.ifVersion !== undefined) write.ifVersion = options.ifVersion
    return write
  }

  class Bucket {
    /** @param {string} name */
    constructor(name) {
      this.name = name
    }
    /**
     * @param {string} key
     * @param {UploadBody} body
     * @param {UploadOptions} [options]
     */
    upload(key, body, options) {
      const o = options || {}
      /** @type {Record<string, string>} */
      const headers = {}
      if (o.contentType) headers['content-type'] = o.contentType
      else if (typeof body === 'string') headers['content-type'] = 'text/plain; charset=utf-8'
      else headers['content-type'] = 'application/octet-stream'
      const meta = o.metadata || {}
      for (const k in meta) headers[`x-stratus-meta-${k}`] = StringCtor(meta[k])
      return request('PUT', `/storage/v1/object/${seg(this.name)}/${keyPath(key)}`, {
        body: typeof body === 'string' ? body : toBytes(body),
        headers: headers,
      })
    }
    /** @param {string} key */
    download(key) {
      return then(
        /** @type {Promise<RawAnswer>} */ (
          request('GET', `/storage/v1/object/${seg(this.name)}/${keyPath(key)}`, { raw: true })
        ),
        (r) => {
          const data = new Uint8ArrayCtor(r.bytes || new ArrayBufferCtor(0))
          return {
            data: data,
            size: data.length,
            contentType: r.info?.contentType,
            text: () => utf8Decode(data),
            json: () => parse(utf8Decode(data)),
          }
        },
      )
    }
    /** @param {string} key */
    remove(key) {
      return then(request('DELETE', `/storage/v1/object/${seg(this.name)}/${keyPath(key)}`), () => {})
    }
    /** @param {ListOptions} [options] */
    list(options) {
      const o = options || {}
      /** @type {Record<string, string>} */
      const query = {}
      if (o.prefix !== undefined) query.prefix = o.prefix
      if (o.limit !== undefined) query.limit = StringCtor(o.limit)
      if (o.cursor) query.cursor = o.cursor
      return request('GET', `/storage/v1/list/${seg(this.name)}`, { query: query })
    }
    /**
     * @param {string} key
     * @param {number} [expiresIn]
     */
    createSignedUrl(key, expiresIn) {
      return then(
        /** @type {Promise<{ url: string }>} */ (
          request('POST', `/storage/v1/sign/${seg(this.name)}/${keyPath(key)}`, {
            json: { expiresIn: expiresIn },
          })
        ),
        (r) => r.url,
      )
    }
  }

  // What user code must not reshape: the clients' classes and the ctx objects are frozen.
  for (const C of [DocumentReference, Query, CollectionReference, WriteBatch, Bucket, StratusError]) {
    freeze(C)
    freeze(C.prototype)
  }
  const db = freeze({
    collection: (/** @type {string} */ name) => new CollectionReference(name),
    batch: () => new WriteBatch(),
  })
  const storage = freeze({ from: (/** @type {string} */ bucket) => new Bucket(bucket) })
  const queue = freeze({
    /**
     * @param {string} name
     * @param {unknown} payload
     * @param {PublishOptions} [options]
     */
    publish: (name, payload, options) => {
      const o = options || {}
      /** @type {{ payload: unknown, delayMs?: number, dedupId?: string }} */
      const body = { payload: payload === undefined ? null : payload }
      if (o.delayMs !== undefined) body.delayMs = o.delayMs
      if (o.dedupId !== undefined) body.dedupId = o.dedupId
      return request('POST', `/queue/v1/${seg(name)}/messages`, { json: body })
    },
  })

  if (fetchEnabled) {
    isolateGlobal.fetch = (input, init) => {
      const o = init || {}
      const bytes = toBytes(o.body)
      const body =
        bytes !== undefined ? bytes : o.body !== undefined && o.body !== null ? StringCtor(o.body) : undefined
      return then(
        call(
          'fetch',
          {
            url: StringCtor(input),
            method: o.method || 'GET',
            headers: o.headers || {},
          },
          body,
        ),
        (r) => {
          const info = /** @type {FetchAnswer} */ (r.value)
          const data = new Uint8ArrayCtor(r.bytes || new ArrayBufferCtor(0))
          const headers = info.headers || {}
          return {
            ok: info.status >= 200 && info.status < 300,
            status: info.status,
            statusText: info.statusText,
            url: info.url,
            headers: {
              get: (name) => {
                const v = headers[StringCtor(name).toLowerCase()]
                return v === undefined ? null : v
              },
            },
            text: () => PromiseCtor.resolve(utf8Decode(data)),
            json: () => PromiseCtor.resolve(parse(utf8Decode(data))),
            arrayBuffer: () => PromiseCtor.resolve(data.buffer),
          }
        },
      )
    }
  }

  // Set by setHandler, before any invocation.
  /** @type {Handler} */
  let handler
  /** @type {Entry} */
  let entry = 'default'
  /** @type {InlineRun | undefined} */
  let inline
  // What every invocation in this isolate shares (set once by configure): it runs one version.
  /** @type {Readonly<Fixed>} */
  let fixed = {
    functionName: undefined,
    version: undefined,
    env: freeze({}),
    memoryLimitInMB: undefined,
    invokedFunctionArn: undefined,
  }
  /**
   * @param {string} eventJson
   * @param {string} executionId
   * @param {number} deadline Epoch ms.
   * @returns {Promise<string>} The outcome's JSON: `{ok: true, result?}` or `{ok: false, error}`.
   */
  async function invoke(eventJson, executionId, deadline) {
    logLines = 0
    droppedLogs = 0
    const ctx = freeze({
      functionName: fixed.functionName,
      version: fixed.version,
      executionId: executionId,
      deadline: deadline,
      env: fixed.env,
      log: logger,
      db: db,
      storage: storage,
      queue: queue,
    })
    try {
      const result = await handler(
        parse(eventJson),
        entry === 'handler' ? lambdaContext(ctx, executionId, deadline) : ctx,
      )
      if (result === undefined) return '{"ok":true}'
      if (jsonExceeds(result, limits.maxPayloadBytes)) {
        return stringify({ ok: false, error: { name: 'ResultTooLargeError', message: tooLargeMessage() } })
      }
      let json
      try {
        json = stringify(result)
      } catch (e) {
        throw new TypeErrorCtor(
          `The function returned a value that is not JSON-serialisable: ${/** @type {{ message?: unknown } | null | undefined} */ (e)?.message}`,
        )
      }
      // Refused here, before the result is copied out of the isolate; the host checks its size again.
      if (json !== undefined && json.length > limits.maxPayloadBytes) {
        return stringify({
          ok: false,
          error: { name: 'ResultTooLargeError', message: tooLargeMessage() },
        })
      }
      return `{"ok":true,"result":${json === undefined ? 'null' : json}}`
    } catch (e) {
      let message, stack, name
      try {
        message = e instanceof ErrorCtor ? StringCtor(e.message) : format([e])
        stack = e instanceof ErrorCtor && e.stack ? StringCtor(e.stack) : undefined
        name = e instanceof ErrorCtor ? StringCtor(e.name) : 'Error'
      } catch (_) {
        message = 'unknown error'
      }
      // A message or stack is cut as a log line is: an error must not smuggle out a huge value either.
      if (message && message.length > limits.logLineLength)
        message = sliceString(message, 0, limits.logLineLength)
      if (stack && stack.length > limits.logLineLength * 4)
        stack = sliceString(stack, 0, limits.logLineLength * 4)
      if (name && name.length > 200) name = sliceString(name, 0, 200)
      return stringify({ ok: false, error: { name: name, message: message, stack: stack } })
    } finally {
      endLogs()
    }
  }
  /**
   * @param {unknown} ctx
   * @param {string} executionId
   * @param {number} deadline Epoch ms.
   * @returns {LambdaContext}
   */
  function lambdaContext(ctx, executionId, deadline) {
    return {
      awsRequestId: executionId,
      functionName: fixed.functionName,
      functionVersion: StringCtor(fixed.version),
      memoryLimitInMB: fixed.memoryLimitInMB,
      invokedFunctionArn: fixed.invokedFunctionArn,
      logGroupName: `/stratus/functions/${fixed.functionName}`,
      logStreamName: `${fixed.version}/${executionId}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => mathMax(deadline - dateNow(), 0),
      stratus: ctx,
    }
  }
  function tooLargeMessage() {
    return `The result is larger than a result may be: at most ${limits.maxPayloadBytes} bytes of JSON (FUNCTIONS_MAX_PAYLOAD_BYTES)`
  }

  return /** @satisfies {BootstrapApi} */ ({
    configure: (functionName, versionNumber, envJson, limitsJson, memoryMb, functionArn) => {
      fixed = freeze({
        functionName: functionName,
        version: versionNumber,
        env: freeze(parse(envJson) || {}),
        memoryLimitInMB: StringCtor(memoryMb),
        invokedFunctionArn: functionArn,
      })
      limits = freeze(parse(limitsJson))
    },
    // `wanted` is the version's entry as its deploy decided it, so that every isolate of a version runs
    // the same export; undefined while a deploy decides it (a default export wins, else a `handler`).
    // `exports` is the module's namespace object: reading it runs none of the module's code.
    setHandler: (exports, wanted) => {
      const chosen =
        wanted !== undefined ? wanted : typeof exports.default === 'function' ? 'default' : 'handler'
      const fn = chosen === 'default' ? exports.default : exports.handler
      if (typeof fn !== 'function') {
        throw new TypeErrorCtor(
          wanted === 'handler'
            ? 'The module must export a function named handler: export const handler = async (event, context) => result'
            : wanted === 'default'
              ? 'The module must export a default function: export default async (event, ctx) => result'
              : 'The module must export a default function (export default async (event, ctx) => result) or a Lambda-style handler (export const handler = async (event, context) => result)',
        )
      }
      handler = /** @type {Handler} */ (fn)
      entry = chosen
      return chosen
    },
    invoke: invoke,
    // Inline runs (on the host's own thread, see instance.ts): start begins an invocation, then the
    // host asks settled. A run that settled having queued nothing for the host hands its result to
    // settled; one that queued log lines or host calls sends it through finishSink, queued behind them;
    // one that has not settled is awaited through wait.
    start: (seq, eventJson, executionId, deadline) => {
      const before = sent
      /** @type {InlineRun} */
      const run = { seq: seq, done: false, out: undefined, promise: invoke(eventJson, executionId, deadline) }
      inline = run
      then(run.promise, (out) => {
        run.done = true
        if (sent === before) run.out = out
        else finishSink(seq, out)
      })
    },
    // The result (a string) of a quiet settled run, true for one whose result follows through
    // finishSink, false for one not settled.
    settled: (seq) => {
      if (inline === undefined || inline.seq !== seq || !inline.done) return false
      const out = inline.out
      inline.out = undefined
      return out === undefined ? true : out
    },
    wait: (seq) => {
      if (inline === undefined || inline.seq !== seq) throw new ErrorCtor('no such invocation')
      return inline.promise
    },
  })
})()

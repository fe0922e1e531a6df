/**
 * The script each isolate runs before the function's module. It takes the three host capabilities the
 * instance planted as globals (a Reference to the host's `call`, a log Callback, the fetch flag), hides
 * them in a closure, deletes the globals, and defines what functions see: `console`, `setTimeout`,
 * optionally `fetch`, and the `ctx` built per invocation (SDK-shaped `db`, `storage`, `queue` clients
 * that reach the platform only through the host's `call`). Its completion value is `{configure,
 * setHandler, invoke, start, settled, wait}`, which the host keeps as References.
 *
 * Everything here runs inside the isolate: it is plain JavaScript (instance.ts reads this file and
 * compiles it as a script), and nothing in it is trusted by the host (the host validates every call
 * and treats every result as untrusted input). Every built-in it relies on is taken here, before the
 * function's code runs, so code that replaces a global or a prototype method (`encodeURIComponent`,
 * `String.prototype.split`, `Promise.prototype.then`…) cannot change the calls this file makes.
 */
;(() => {
  const host = globalThis.__stratus_host
  const logSink = globalThis.__stratus_log
  const finishSink = globalThis.__stratus_finish
  const fetchEnabled = globalThis.__stratus_fetch === true
  delete globalThis.__stratus_host
  delete globalThis.__stratus_log
  delete globalThis.__stratus_finish
  delete globalThis.__stratus_fetch
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
  // Prototype methods as plain functions: `then(p, f)` instead of `p.then(f)`.
  const uncurry = Function.prototype.bind.bind(Function.prototype.call)
  const then = uncurry(Promise.prototype.then)
  const split = uncurry(String.prototype.split)
  const sliceString = uncurry(String.prototype.slice)
  const map = uncurry(Array.prototype.map)
  const join = uncurry(Array.prototype.join)
  const concat = uncurry(Array.prototype.concat)
  const push = uncurry(Array.prototype.push)
  const apply = uncurry(Function.prototype.apply)
  const setAdd = uncurry(Set.prototype.add)
  const setDelete = uncurry(Set.prototype.delete)
  const setHas = uncurry(Set.prototype.has)
  const SetCtor = Set
  const hostApply = uncurry(Object.getPrototypeOf(host).apply)

  // Set once by configure, before the function's module is loaded.
  let limits = { logLines: 100, logLineLength: 2000, maxPayloadBytes: 6 * 1024 * 1024 }
  // Log lines of the current invocation: past the limit they are counted here, not sent to the host.
  let logLines = 0
  let droppedLogs = 0

  // Messages queued for the host (log lines, host calls): an inline run's result must not overtake them.
  let sent = 0

  // `body` is bytes or a string, sent beside the JSON payload so that it is copied, never re-encoded.
  function call(op, payload, body) {
    const json = stringify(payload)
    const size =
      json.length + (body === undefined ? 0 : body.length === undefined ? body.byteLength : body.length)
    if (size > limits.maxPayloadBytes) return PromiseCtor.reject(tooLargeCall())
    sent++
    return then(
      hostApply(host, undefined, [op, json, body], {
        arguments: { copy: true },
        result: { promise: true, copy: true },
      }),
      (out) => {
        const answer = parse(out[0])
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
    constructor(code, message, status, details) {
      super(message)
      this.name = 'StratusError'
      this.code = code
      this.status = status
      this.details = details
    }
  }
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
  function jsonExceeds(value, limit) {
    let size = 0
    const seen = new SetCtor()
    const stack = [value]
    while (stack.length > 0) {
      const v = stack.pop()
      size++
      if (typeof v === 'string') size += v.length
      else if (v !== null && typeof v === 'object') {
        if (setHas(seen, v)) continue
        setAdd(seen, v)
        if (isView(v)) size += v.length === undefined ? v.byteLength : v.length * 2
        else if (isArray(v)) {
          size += v.length
          if (size > limit) return true
          for (let i = 0; i < v.length; i++) push(stack, v[i])
        } else {
          const keys = keysOf(v)
          for (let i = 0; i < keys.length; i++) {
            size += keys[i].length + 3
            push(stack, v[keys[i]])
          }
        }
      }
      if (size > limit) return true
    }
    return false
  }

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
  globalThis.console = freeze({
    log: logger.info,
    info: logger.info,
    debug: logger.debug,
    warn: logger.warn,
    error: logger.error,
  })

  // Minimal UTF-8, since a bare isolate has no TextEncoder/TextDecoder.
  function utf8Decode(bytes) {
    let out = ''
    for (let i = 0; i < bytes.length; ) {
      let c = bytes[i++]
      if (c >= 0xf0)
        c = ((c & 7) << 18) | ((bytes[i++] & 63) << 12) | ((bytes[i++] & 63) << 6) | (bytes[i++] & 63)
      else if (c >= 0xe0) c = ((c & 15) << 12) | ((bytes[i++] & 63) << 6) | (bytes[i++] & 63)
      else if (c >= 0xc0) c = ((c & 31) << 6) | (bytes[i++] & 63)
      out += fromCodePoint(c)
    }
    return out
  }
  function toBytes(body) {
    if (body === undefined || body === null) return undefined
    if (body instanceof Uint8ArrayCtor) return body
    if (body instanceof ArrayBufferCtor) return new Uint8ArrayCtor(body)
    if (isView(body)) return new Uint8ArrayCtor(body.buffer, body.byteOffset, body.byteLength)
    return undefined
  }

  let timerIds = 0
  const cancelled = new Set()
  // Rest parameters, not `arguments` and a slice: they build the array without any method user code could replace.
  globalThis.setTimeout = (fn, ms, ...args) => {
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
  globalThis.clearTimeout = (id) => {
    if (id) setAdd(cancelled, id)
  }

  function request(method, path, options) {
    const o = options || {}
    const bytes = toBytes(o.body)
    let body = bytes
    if (bytes === undefined && o.json !== undefined && jsonExceeds(o.json, limits.maxPayloadBytes)) {
      return PromiseCtor.reject(tooLargeCall())
    }
    if (body === undefined)
      body = o.json !== undefined ? stringify(o.json) : typeof o.body === 'string' ? o.body : undefined
    const payload = { method: method, path: path, query: o.query, headers: o.headers, raw: !!o.raw }
    if (bytes === undefined && o.json !== undefined) payload.jsonBody = true
    return then(call('request', payload, body), (r) => (o.raw ? { info: r.value, bytes: r.bytes } : r.value))
  }
  function seg(s) {
    return encode(StringCtor(s))
  }
  function keyPath(key) {
    return join(map(split(StringCtor(key), '/'), encode), '/')
  }

  class DocumentReference {
    constructor(collection, id) {
      this.collection = collection
      this.id = id
      this.path = `/db/v1/collections/${seg(collection)}/documents/${seg(id)}`
    }
    get() {
      return then(request('GET', this.path), undefined, (e) => {
        if (e && e.code === 'db/not-found') return null
        throw e
      })
    }
    set(data, options) {
      return request('PUT', this.path, { json: { data: data }, headers: ifMatch(options) })
    }
    update(data, options) {
      return request('PATCH', this.path, { json: { data: data }, headers: ifMatch(options) })
    }
    delete(options) {
      return then(request('DELETE', this.path, { headers: ifMatch(options) }), () => {})
    }
  }
  function ifMatch(options) {
    return options && options.ifVersion !== undefined
      ? { 'if-match': StringCtor(options.ifVersion) }
      : undefined
  }

  class Query {
    constructor(collection, state) {
      this.collection = collection
      this.state = state || { where: [], orderBy: [], limit: undefined, cursor: undefined }
    }
    with(change) {
      const s = this.state
      return new Query(this.collection, {
        where: change.where || s.where,
        orderBy: change.orderBy || s.orderBy,
        limit: 'limit' in change ? change.limit : s.limit,
        cursor: 'cursor' in change ? change.cursor : s.cursor,
      })
    }
    where(field, op, value) {
      return this.with({ where: concat(this.state.where, [[field, op, value]]) })
    }
    orderBy(field, direction) {
      return this.with({ orderBy: concat(this.state.orderBy, [[field, direction || 'asc']]) })
    }
    limit(n) {
      return this.with({ limit: n })
    }
    startAfter(cursor) {
      return this.with({ cursor: cursor })
    }
    get() {
      const s = this.state
      const query = {}
      if (s.where.length) query.where = stringify(s.where)
      if (s.orderBy.length) query.orderBy = stringify(s.orderBy)
      if (s.limit !== undefined) query.limit = StringCtor(s.limit)
      if (s.cursor) query.cursor = s.cursor
      return then(
        request('GET', `/db/v1/collections/${seg(this.collection)}/documents`, { query: query }),
        (r) => ({ docs: r.documents, nextCursor: r.nextCursor === undefined ? null : r.nextCursor }),
      )
    }
  }
  class CollectionReference extends Query {
    doc(id) {
      return new DocumentReference(this.collection, id)
    }
    add(data, options) {
      const body = { data: data }
      if (options && options.id !== undefined) body.id = options.id
      return request('POST', `/db/v1/collections/${seg(this.collection)}/documents`, { json: body })
    }
  }

  // The SDK's WriteBatch: writes committed all together (POST /db/v1/batch), or none of them.
  class WriteBatch {
    constructor() {
      this.writes = []
      this.committed = false
    }
    create(ref, data) {
      return addWrite(this, { op: 'create', collection: ref.collection, id: ref.id, data: data })
    }
    set(ref, data, options) {
      return addWrite(
        this,
        withVersion({ op: 'set', collection: ref.collection, id: ref.id, data: data }, options),
      )
    }
    update(ref, data, options) {
      return addWrite(
        this,
        withVersion({ op: 'update', collection: ref.collection, id: ref.id, data: data }, options),
      )
    }
    delete(ref, options) {
      return addWrite(this, withVersion({ op: 'delete', collection: ref.collection, id: ref.id }, options))
    }
    commit() {
      if (this.committed)
        return PromiseCtor.reject(new TypeErrorCtor('Stratus: this batch was already committed'))
      this.committed = true
      return then(request('POST', '/db/v1/batch', { json: { writes: this.writes } }), (r) => r.results)
    }
  }
  function addWrite(batch, write) {
    if (batch.committed) throw new TypeErrorCtor('Stratus: this batch was already committed')
    push(batch.writes, write)
    return batch
  }
  function withVersion(write, options) {
    if (options && options.ifVersion !== undefined) write.ifVersion = options.ifVersion
    return write
  }

  class Bucket {
    constructor(name) {
      this.name = name
    }
    upload(key, body, options) {
      const o = options || {}
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
    download(key) {
      return then(
        request('GET', `/storage/v1/object/${seg(this.name)}/${keyPath(key)}`, { raw: true }),
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
    remove(key) {
      return then(request('DELETE', `/storage/v1/object/${seg(this.name)}/${keyPath(key)}`), () => {})
    }
    list(options) {
      const o = options || {}
      const query = {}
      if (o.prefix !== undefined) query.prefix = o.prefix
      if (o.limit !== undefined) query.limit = StringCtor(o.limit)
      if (o.cursor) query.cursor = o.cursor
      return request('GET', `/storage/v1/list/${seg(this.name)}`, { query: query })
    }
    createSignedUrl(key, expiresIn) {
      return then(
        request('POST', `/storage/v1/sign/${seg(this.name)}/${keyPath(key)}`, {
          json: { expiresIn: expiresIn },
        }),
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
    collection: (name) => new CollectionReference(name),
    batch: () => new WriteBatch(),
  })
  const storage = freeze({ from: (bucket) => new Bucket(bucket) })
  const queue = freeze({
    publish: (name, payload, options) => {
      const o = options || {}
      const body = { payload: payload === undefined ? null : payload }
      if (o.delayMs !== undefined) body.delayMs = o.delayMs
      if (o.dedupId !== undefined) body.dedupId = o.dedupId
      return request('POST', `/queue/v1/${seg(name)}/messages`, { json: body })
    },
  })

  if (fetchEnabled) {
    globalThis.fetch = (input, init) => {
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
          const info = r.value
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

  let handler
  let inline
  // What every invocation in this isolate shares (set once by configure): it runs one version.
  let fixed = { functionName: undefined, version: undefined, env: freeze({}) }
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
      const result = await handler(parse(eventJson), ctx)
      if (result === undefined) return '{"ok":true}'
      if (jsonExceeds(result, limits.maxPayloadBytes)) {
        return stringify({ ok: false, error: { name: 'ResultTooLargeError', message: tooLargeMessage() } })
      }
      let json
      try {
        json = stringify(result)
      } catch (e) {
        throw new TypeErrorCtor(`The function returned a value that is not JSON-serialisable: ${e?.message}`)
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
  function tooLargeMessage() {
    return `The result is larger than a result may be: at most ${limits.maxPayloadBytes} bytes of JSON (FUNCTIONS_MAX_PAYLOAD_BYTES)`
  }

  return {
    configure: (functionName, versionNumber, envJson, limitsJson) => {
      fixed = freeze({
        functionName: functionName,
        version: versionNumber,
        env: freeze(parse(envJson) || {}),
      })
      limits = freeze(parse(limitsJson))
    },
    setHandler: (fn) => {
      if (typeof fn !== 'function') {
        throw new TypeErrorCtor(
          'The module must export a default function: export default async (event, ctx) => result',
        )
      }
      handler = fn
    },
    invoke: invoke,
    // Inline runs (on the host's own thread, see instance.ts): start begins an invocation, then the
    // host asks settled. A run that settled having queued nothing for the host hands its result to
    // settled; one that queued log lines or host calls sends it through finishSink, queued behind them;
    // one that has not settled is awaited through wait.
    start: (seq, eventJson, executionId, deadline) => {
      const before = sent
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
  }
})()

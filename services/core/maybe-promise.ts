/**
 * A value now, or a promise of it. The warm path of the functions runtime answers without a promise
 * when a run settles inline: each promise and each `await` would cost a turn of the event loop, which
 * was measured to be a large share of a warm call. These helpers keep that path promise-free.
 */
export type MaybePromise<T> = T | Promise<T>

/** Whether `value` is still to come (narrows it to the promise). */
export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return value instanceof Promise
}

/**
 * `fn(value)`: called at once for a plain value (no promise allocated; a throw propagates to the
 * caller), chained for a promise. `onRejected`, if given, handles a rejection of that promise only.
 * Not named `then`: a module exporting `then` is a thenable to a dynamic `import()`.
 */
export function andThen<T, U>(
  value: MaybePromise<T>,
  fn: (value: T) => MaybePromise<U>,
  onRejected?: (error: unknown) => MaybePromise<U>,
): MaybePromise<U> {
  return value instanceof Promise ? value.then(fn, onRejected) : fn(value)
}

/** Calls `fn` once `value` has settled (at once for a plain value) and passes `value` on unchanged. */
export function andFinally<T>(value: MaybePromise<T>, fn: () => void): MaybePromise<T> {
  if (value instanceof Promise) return value.finally(fn)
  fn()
  return value
}

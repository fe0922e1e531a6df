import type { MaybePromise } from '../../core/maybe-promise.ts'
import type { HttpRequestData, HttpRequestMeta, HttpResponseData } from '../model.ts'
import type { FunctionsService } from '../service.ts'

/** Runs HTTP-triggered functions in this process (the functions runtime implements it). */
export interface HttpInvoker {
  /**
   * Answers without a promise when the run settles inline (a warm sandbox). `meta`: the request as
   * received, for a portable handler.
   */
  invokeHttp(name: string, request: HttpRequestData, meta?: HttpRequestMeta): MaybePromise<HttpResponseData>
  /**
   * Whether `name`'s live version is a portable handler, whose event carries the request's own bytes
   * (the route then keeps them while the body is parsed). Answered from memory, without waiting:
   * undefined when this process does not know the function yet.
   */
  isPortable(name: string): boolean | undefined
}

/** What the functions routes need. */
export interface FunctionsRouteDeps {
  service: FunctionsService
  /** HTTP invocations run in this process's sandbox pool. */
  invoker: HttpInvoker
}

import type { MaybePromise } from '../../core/maybe-promise.ts'
import type { HttpRequestData, HttpResponseData } from '../model.ts'
import type { FunctionsService } from '../service.ts'

/** Runs HTTP-triggered functions in this process (the functions runtime implements it). */
export interface HttpInvoker {
  /** Answers without a promise when the run settles inline (a warm sandbox). */
  invokeHttp(name: string, request: HttpRequestData): MaybePromise<HttpResponseData>
}

/** What the functions routes need. */
export interface FunctionsRouteDeps {
  service: FunctionsService
  /** HTTP invocations run in this process's sandbox pool. */
  invoker: HttpInvoker
}

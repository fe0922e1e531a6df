export { type ClientOptions, createClient, type HealthStatus, StratusClient } from './client.js'
export { type ClientErrorCode, type ErrorEnvelope, isErrorEnvelope, StratusError } from './errors.js'
export {
  type FetchLike,
  HttpClient,
  type HttpClientOptions,
  type QueryValue,
  type RequestOptions,
} from './http.js'

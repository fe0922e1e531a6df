export {
  type AuthChangeEvent,
  AuthClient,
  type AuthListener,
  type Credentials,
  type Session,
  type User,
  type UserAttributes,
} from './auth.js'
export { type ClientOptions, createClient, type HealthStatus, StratusClient } from './client.js'
export { WriteBatch } from './db/batch.js'
export { type CollectionTypes, DbClient } from './db/client.js'
export { CollectionReference, DocumentReference, Query } from './db/references.js'
export type {
  Document,
  DocumentChange,
  DocumentData,
  OrderClause,
  OrderDirection,
  QueryResult,
  QuerySnapshot,
  Unsubscribe,
  WhereClause,
  WhereOp,
  WriteOptions,
} from './db/types.js'
export { type ClientErrorCode, type ErrorEnvelope, isErrorEnvelope, StratusError } from './errors.js'
export { FunctionsClient, type InvokeOptions } from './functions.js'
export {
  type FetchLike,
  HttpClient,
  type HttpClientOptions,
  type QueryValue,
  type RawRequestOptions,
  type RequestOptions,
  type TokenSource,
} from './http.js'
export { type Enrollment, type Factor, type MfaAnswer, MfaClient } from './mfa.js'
export { type PublishOptions, QueueClient } from './queue.js'
export { RealtimeConnection, type WebSocketConstructor, type WebSocketLike } from './realtime.js'
export { type KeyValueStore, MemoryStore } from './session-store.js'
export {
  BucketClient,
  type DownloadedObject,
  type ListOptions,
  type ObjectInfo,
  type ObjectList,
  StorageClient,
  type UploadBody,
  type UploadOptions,
} from './storage.js'

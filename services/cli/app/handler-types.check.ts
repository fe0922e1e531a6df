// `handler-types.d.ts` is copied into users' projects, so it cannot import the event catalog and
// restates its shapes. This file keeps the two in step: the type check fails when either side changes
// without the other. It is never run.
import type { EventDocument, EventObject, UserEventData } from '../../core/event-catalog.ts'
import type { ObjectRecord, StoredDocument, UserRecord } from './handler-types.d.ts'

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const sameUser: Same<UserRecord, UserEventData['user']> = true
const sameObject: Same<ObjectRecord, EventObject> = true
const sameDocument: Same<StoredDocument, EventDocument> = true
export const handlerTypesMatchTheCatalog = [sameUser, sameObject, sameDocument]

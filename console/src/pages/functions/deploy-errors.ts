import type { Limits, Trigger } from '../../api/functions.ts'
import { ApiError } from '../../api/http.ts'
import type { CodeProblem } from '../../ui/CodeEditor.tsx'
import type { TriggerProblem } from './draft.ts'

/** A refused deploy, sorted by where the developer should look: the code, a trigger, a limit. */
export interface DeployFeedback {
  /** Problems to mark in the editor, at their line. */
  code: CodeProblem[]
  triggers: Record<number, TriggerProblem>
  limits: Partial<Record<keyof Limits, string>>
  /** A problem with the environment as a whole. */
  env?: string
}

const LIMIT_KEYS = new Set(['timeoutMs', 'memoryMb', 'concurrency', 'retries'])
const TRIGGER_FIELDS = new Set(['event', 'subject', 'cron', 'timezone', 'queue'])

/** `[fn.js:2:13]`, as V8 ends a compile error's message: 1-based line and column. */
const ENGINE_POSITION = /\[[^\]]*?:(\d+):(\d+)\]/

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

/** Where the server says the code is wrong: `details {line, column}`, else a position in the message. */
export function codePosition(error: ApiError): { line: number; column?: number } | undefined {
  const details = record(error.details)
  const line = details?.line
  if (typeof line === 'number' && Number.isInteger(line) && line > 0) {
    const column = details?.column
    return typeof column === 'number' && column > 0 ? { line, column } : { line }
  }
  const match = ENGINE_POSITION.exec(error.message)
  return match ? { line: Number(match[1]), column: Number(match[2]) } : undefined
}

/**
 * Sorts a deploy's error answer into the places the editor shows them: `functions/invalid-code` at its
 * line in the code, `functions/invalid-trigger` at its trigger (with the server's suggestion), and
 * schema errors (`request/invalid` with `details[].path` like `/triggers/0/cron`) at their field.
 * Whatever does not fit stays with the error notice above the editor.
 */
export function deployFeedback(error: unknown, triggers: readonly Trigger[] = []): DeployFeedback {
  const feedback: DeployFeedback = { code: [], triggers: {}, limits: {} }
  if (!(error instanceof ApiError)) return feedback
  if (error.code === 'functions/invalid-code') {
    const position = codePosition(error)
    feedback.code.push({
      message: error.message.replace(ENGINE_POSITION, '').trim(),
      line: position?.line ?? 1,
      ...(position?.column ? { column: position.column } : {}),
    })
    return feedback
  }
  if (error.code === 'functions/invalid-trigger') {
    const details = record(error.details)
    const index = typeof details?.index === 'number' ? details.index : 0
    const field =
      typeof details?.field === 'string' && TRIGGER_FIELDS.has(details.field) ? details.field : undefined
    feedback.triggers[index] = {
      message: error.message,
      ...(field ? { field: field as TriggerProblem['field'] } : {}),
      ...(typeof details?.suggestion === 'string' ? { suggestion: details.suggestion } : {}),
    }
    return feedback
  }
  if (error.code === 'request/invalid') {
    const details = Array.isArray(error.details) ? error.details : []
    for (const item of details) {
      const path = record(item)?.path
      const message = record(item)?.message
      if (typeof path !== 'string') continue
      const text = typeof message === 'string' ? message : 'is invalid'
      const [, top, index, field] = path.split('/')
      if (top === 'triggers' && index !== undefined && /^\d+$/.test(index)) {
        feedback.triggers[Number(index)] ??= {
          message: `${field ? `${field} ` : ''}${text}`,
          ...(field && TRIGGER_FIELDS.has(field) ? { field: field as TriggerProblem['field'] } : {}),
        }
      } else if (top && LIMIT_KEYS.has(top)) {
        feedback.limits[top as keyof Limits] = text
      } else if (top === 'env') {
        feedback.env = `Environment ${path.slice(4) || ''} ${text}`.replace(/\s+/g, ' ')
      }
    }
    // Checks made after the schema name their field in the message only.
    if (/memoryMb/.test(error.message)) feedback.limits.memoryMb ??= error.message
    const trigger = /^Trigger (\d+)/.exec(error.message)
    if (trigger) feedback.triggers[Number(trigger[1])] ??= { message: error.message }
    // Schedule checks quote the cron expression or time zone they refuse: find the trigger holding it.
    const quoted = /(cron expression|time zone) "([^"]*)"/i.exec(error.message)
    if (quoted) {
      const field = quoted[1]!.toLowerCase() === 'time zone' ? 'timezone' : 'cron'
      const index = triggers.findIndex(
        (t) => t.type === 'schedule' && (field === 'cron' ? t.cron.trim() : t.timezone?.trim()) === quoted[2],
      )
      if (index >= 0) feedback.triggers[index] ??= { message: error.message, field }
    }
  }
  return feedback
}

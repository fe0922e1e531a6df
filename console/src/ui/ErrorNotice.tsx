import { ApiError } from '../api/http.ts'

/** An error as the user should read it: the API's code and message, announced to screen readers. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null
  const code = error instanceof ApiError ? error.code : undefined
  const message = error instanceof Error ? error.message : String(error)
  return (
    <div className="notice notice-error" role="alert">
      {title && <strong>{title}: </strong>}
      {message}
      {code && <code className="notice-code">{code}</code>}
    </div>
  )
}

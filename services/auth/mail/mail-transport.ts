/** One message to one recipient. */
export interface Mail {
  to: string
  subject: string
  text: string
  html?: string
}

/**
 * Delivers the platform's mail (recovery and verification tokens). Drivers: the dev mailbox (a
 * database table, the embedded default) and SMTP (nodemailer), chosen by `SMTP_URL`.
 */
export interface MailTransport {
  /** `dev-mailbox` or `smtp`, for logs. */
  readonly driver: 'dev-mailbox' | 'smtp'
  /** Resolves once the message is accepted for delivery; rejects with the cause otherwise. */
  send(mail: Mail): Promise<void>
  /** Releases connections; pending sends finish first. */
  close(): Promise<void>
}

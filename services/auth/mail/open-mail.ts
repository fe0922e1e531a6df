import type { Config } from '../../core/config.ts'
import type { Sql } from '../../db/database.ts'
import { DevMailbox } from './dev-mailbox.ts'
import type { MailTransport } from './mail-transport.ts'
import { SmtpTransport } from './smtp.ts'

/** The mail driver the configuration names: SMTP when `SMTP_URL` is set, else the dev mailbox. */
export function openMailTransport(config: Pick<Config, 'mail'>, sql: Sql): MailTransport {
  const { smtpUrl, from } = config.mail
  return smtpUrl ? new SmtpTransport({ url: smtpUrl, from }) : new DevMailbox({ sql, from })
}

import nodemailer, { type Transporter } from 'nodemailer'
import { StratusError } from '../../core/errors.ts'
import type { Mail, MailTransport } from './mail-transport.ts'

/** Options of the SMTP driver. */
export interface SmtpOptions {
  /** `smtp://user:pass@host:port` or `smtps://…` (nodemailer's connection URL). */
  url: string
  from: string
}

/** Sends mail through an SMTP server with nodemailer (pooled connections). */
export class SmtpTransport implements MailTransport {
  readonly driver = 'smtp' as const
  private readonly transporter: Transporter
  private readonly from: string

  constructor(options: SmtpOptions) {
    const url = new URL(options.url)
    url.searchParams.set('pool', 'true')
    this.transporter = nodemailer.createTransport(url.toString())
    this.from = options.from
  }

  async send(mail: Mail): Promise<void> {
    try {
      await this.transporter.sendMail({
        from: this.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        ...(mail.html ? { html: mail.html } : {}),
      })
    } catch (error) {
      throw new StratusError('service/unavailable', 'The SMTP server did not accept the message', {
        cause: error,
      })
    }
  }

  async close(): Promise<void> {
    this.transporter.close()
  }
}

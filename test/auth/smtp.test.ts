import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SmtpTransport } from '../../services/auth/mail/smtp.ts'
import { eventually } from '../support/lanes.ts'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { bearer, extractToken, NO_RATE_LIMITS, signUp } from './helpers.ts'

interface Received {
  from: string
  to: string[]
  raw: string
}

/** A real SMTP server on loopback that keeps what it receives. */
async function startSmtpServer(): Promise<{
  port: number
  received: Received[]
  close: () => Promise<void>
}> {
  const received: Received[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as AddressInfo).port
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

// The SMTP mail driver, chosen by SMTP_URL, against a real SMTP server.
describe.each(LANES)('auth mail through SMTP (%s lane)', (lane) => {
  let t: TestPlatform
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>
  beforeAll(async () => {
    smtp = await startSmtpServer()
    t = await startTestPlatform(lane, {
      ...NO_RATE_LIMITS,
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      MAIL_FROM: 'Stratus Test <auth@stratus.test>',
    })
  })
  afterAll(async () => {
    await t?.close()
    await smtp?.close()
  })

  it('delivers the recovery token by SMTP, and the token works', async () => {
    const u = await signUp(t)
    expect((await request(t.url).post('/auth/v1/recover').send({ email: u.email })).status).toBe(204)
    const mail = await eventually(
      () => smtp.received.find((m) => m.to.includes(u.email)),
      10_000,
      'SMTP mail',
    )
    if (!mail) throw new Error('unreachable')
    expect(mail.from).toBe('auth@stratus.test')
    expect(mail.raw).toMatch(/^Subject: Reset your password$/m)
    expect(mail.raw).toMatch(/^From: Stratus Test <auth@stratus.test>$/m)
    // The body is quoted-printable at worst; a 43-character base64url token never needs escaping.
    const token = extractToken(mail.raw.replace(/\r\n/g, '\n'))
    const res = await request(t.url)
      .post('/auth/v1/verify')
      .send({ type: 'recovery', token, password: 'recovered by smtp' })
    expect(res.status).toBe(200)
  })

  it('turns the dev mailbox off: GET /admin/v1/mail → 404', async () => {
    const res = await request(t.url).get('/admin/v1/mail').set(bearer(t.serviceKey))
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('request/not-found')
  })
})

describe('SMTP driver', () => {
  it('reports an unreachable server as service/unavailable', async () => {
    const transport = new SmtpTransport({ url: 'smtp://127.0.0.1:1', from: 'a@b.test' })
    await expect(transport.send({ to: 'x@y.test', subject: 's', text: 't' })).rejects.toMatchObject({
      code: 'service/unavailable',
    })
    await transport.close()
  })
})

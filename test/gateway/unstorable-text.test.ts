import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { LANES } from '../support/lanes.ts'
import { usePlatform } from '../support/platform.ts'

// Postgres cannot store U+0000 in text or jsonb. Wherever one reaches the database unchecked, the
// client gets 400 request/invalid (never a 500), and the write it was part of leaves nothing behind.
describe.each(LANES)('U+0000 in stored input (%s)', (lane) => {
  const t = usePlatform(lane, {})
  const service = () => ({ authorization: `Bearer ${t.serviceKey}` })
  const expectRefused = (res: request.Response) => {
    expect([res.status, res.body.error?.code], JSON.stringify(res.body)).toEqual([400, 'request/invalid'])
  }

  it('refuses it in sign-up profile data and at sign-in, and creates no user', async () => {
    expectRefused(
      await request(t.url)
        .post('/auth/v1/signup')
        .send({ email: 'nul-data@example.test', password: 'correct horse battery', data: { n: 'a\u0000' } }),
    )
    expectRefused(
      await request(t.url)
        .post('/auth/v1/token?grant_type=password')
        .send({ email: 'nul\u0000@example.test', password: 'correct horse battery' }),
    )
    const signIn = await request(t.url)
      .post('/auth/v1/token?grant_type=password')
      .send({ email: 'nul-data@example.test', password: 'correct horse battery' })
    expect(signIn.body.error?.code).toBe('auth/invalid-credentials')
  })

  it('refuses it in a function deploy (code, env, trigger subject), and deploys nothing', async () => {
    const code = 'export default async () => 1'
    const http = [{ type: 'http', public: true }]
    for (const body of [
      { code: `${code} // \u0000`, triggers: http },
      { code, env: { A: 'x\u0000' }, triggers: http },
      // A trigger that could fire (deploys check that first), but for the NUL.
      {
        code,
        triggers: [{ type: 'event', event: 'db.document.*', subject: 'collections/x\u0000/documents/*' }],
      },
    ]) {
      expectRefused(await request(t.url).put('/admin/v1/functions/nul-fn').set(service()).send(body))
    }
    const fn = await request(t.url).get('/admin/v1/functions/nul-fn').set(service())
    expect(fn.status).toBe(404)
  })

  it('refuses it in a queue payload and dedup id, and stores no message', async () => {
    expectRefused(
      await request(t.url)
        .post('/queue/v1/nul-q/messages')
        .set(service())
        .send({ payload: { s: 'a\u0000' } }),
    )
    expectRefused(
      await request(t.url)
        .post('/queue/v1/nul-q/messages')
        .set(service())
        .send({ payload: 1, dedupId: 'd\u0000' }),
    )
    const rows = await t.platform.db.query(`SELECT 1 FROM queue_messages WHERE queue = 'nul-q'`)
    expect(rows).toEqual([])
  })
})

// URL credentials (percent-decoding, raw ':' and '@' in a password) and the one-time warning for
// PLAIN or OAUTHBEARER credentials over a connection without TLS.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../src/core/errors.ts'
import { INSECURE_AUTH_WARNING } from '../../src/core/insecure-auth.ts'
import { clusterOptionsFrom, userInfo } from '../../src/kafka/client-options.ts'

void test('user info is percent-decoded; only the first ":" splits; the last "@" ends it', () => {
  assert.deepEqual(userInfo('us%40er:pa%3Ass%40w%25rd', 'kafka://x'), {
    username: 'us@er',
    password: 'pa:ss@w%rd',
  })
  assert.deepEqual(userInfo('user:a:b:c', 'kafka://x'), { username: 'user', password: 'a:b:c' })
  assert.deepEqual(userInfo('user', 'kafka://x'), { username: 'user', password: '' })
  const o = clusterOptionsFrom('kafka://user:p@ss:w@rd@127.0.0.1:9092', { allowInsecureAuth: true })
  assert.deepEqual(o.bootstrap, [{ host: '127.0.0.1', port: 9092 }])
  assert.equal(o.sasl?.name, 'PLAIN')
})

void test('a malformed %-escape is a ConfigError that does not quote the password', () => {
  assert.throws(
    () => clusterOptionsFrom('kafka://user:secret%zz@127.0.0.1:9092', { allowInsecureAuth: true }),
    (err: unknown) => err instanceof ConfigError && !err.message.includes('secret'),
  )
})

async function warningsDuring(fn: () => void): Promise<Error[]> {
  const seen: Error[] = []
  const listener = (w: Error): void => void seen.push(w)
  process.on('warning', listener)
  try {
    fn()
    // process.emitWarning delivers on the next tick.
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('warning', listener)
  }
  return seen.filter((w) => (w as { code?: string }).code === INSECURE_AUTH_WARNING)
}

void test('PLAIN or OAUTHBEARER without TLS warns once per client with CONDUIT_INSECURE_AUTH', async () => {
  const plain = await warningsDuring(() => clusterOptionsFrom('kafka://user:secret@127.0.0.1:9092', {}))
  assert.equal(plain.length, 1)
  assert.match(
    plain[0]!.message,
    /SASL PLAIN credentials are sent to kafka:\/\/user:\*\*\*@127\.0\.0\.1:9092 without TLS/,
  )
  assert.ok(!plain[0]!.message.includes('secret'))
  const bearer = await warningsDuring(() =>
    clusterOptionsFrom('kafka://127.0.0.1:9092', { sasl: { mechanism: 'oauthbearer', token: 'abc.def.' } }),
  )
  assert.equal(bearer.length, 1)
})

void test('no warning with TLS, for SCRAM, or when allowInsecureAuth is set', async () => {
  const none = await warningsDuring(() => {
    clusterOptionsFrom('kafka+ssl://user:secret@127.0.0.1:9092', {})
    clusterOptionsFrom('kafka://user:secret@127.0.0.1:9092?sasl=scram-sha-256', {})
    clusterOptionsFrom('kafka://user:secret@127.0.0.1:9092', { allowInsecureAuth: true })
    clusterOptionsFrom('kafka://127.0.0.1:9092', {})
  })
  assert.equal(none.length, 0)
})

void test('sasl.token: a static string or a function, for OAUTHBEARER', () => {
  const options = { allowInsecureAuth: true }
  assert.equal(
    clusterOptionsFrom('kafka://h:1', { ...options, sasl: { mechanism: 'oauthbearer', token: 't' } }).sasl
      ?.name,
    'OAUTHBEARER',
  )
  assert.throws(
    () => clusterOptionsFrom('kafka://h:1', { ...options, sasl: { mechanism: 'oauthbearer' } }),
    ConfigError,
  )
})

// A token over ws:// (no TLS) warns once per client with CONDUIT_INSECURE_AUTH; wss://, no token,
// or allowInsecureAuth do not. The warning is emitted when the client is created (no socket).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { INSECURE_AUTH_WARNING } from '../../src/core/insecure-auth.ts'
import { PulsarWsClient } from '../../src/pulsar-ws/client.ts'

void test('a token over ws:// warns once; wss://, no token or allowInsecureAuth do not', async () => {
  const seen: Error[] = []
  const listener = (w: Error): void => {
    if ((w as { code?: string }).code === INSECURE_AUTH_WARNING) seen.push(w)
  }
  process.on('warning', listener)
  const clients: PulsarWsClient[] = []
  try {
    clients.push(new PulsarWsClient({ url: 'ws://127.0.0.1:8080', token: 'secret-jwt' }))
    clients.push(new PulsarWsClient({ url: 'wss://127.0.0.1:8443', token: 'secret-jwt' }))
    clients.push(new PulsarWsClient({ url: 'ws://127.0.0.1:8080' }))
    clients.push(
      new PulsarWsClient({ url: 'ws://127.0.0.1:8080', token: 'secret-jwt', allowInsecureAuth: true }),
    )
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('warning', listener)
    await Promise.all(clients.map((c) => c.close()))
  }
  assert.equal(seen.length, 1)
  assert.match(
    seen[0]!.message,
    /Pulsar WebSocket token credentials are sent to ws:\/\/127\.0\.0\.1:8080 without TLS/,
  )
  assert.ok(!seen[0]!.message.includes('secret-jwt'))
})

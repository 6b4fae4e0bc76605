// requestTimeoutMs covers the whole request, waiting to write included: a broker that stops
// reading (here: the fault proxy throttled to a trickle, so the client's socket never drains)
// must fail a large request with a retriable TimeoutError near its deadline and close the
// connection, instead of holding it forever.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TimeoutError } from '../../../src/core/errors.ts'
import { ApiKey } from '../../../src/kafka/protocol/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { startFaultProxy } from '../../support/fault-proxy.ts'
import { client } from './helpers.ts'

void test('a request the broker stops reading fails at requestTimeoutMs and closes its connection', async () => {
  const b = await useBroker('kafka')
  const [host, port] = b.urls.bootstrap!.split(':')
  const proxy = await startFaultProxy({ targetHost: host!, targetPort: Number(port) })
  const viaProxy = await client(`kafka://${proxy.host}:${proxy.port}`, {
    mapAddress: () => ({ host: proxy.host, port: proxy.port }),
    requestTimeoutMs: 2000,
  })
  try {
    const conn = await viaProxy.cluster.anyConnection('admin')
    proxy.throttle(1000)
    // About 25 MiB of topic names: far more than the socket buffers and the proxy's queue hold.
    const topics = Array.from({ length: 100_000 }, (_, i) => ({ name: `${'t'.repeat(240)}${i}` }))
    const started = Date.now()
    const outcome = await Promise.race([
      conn
        .request(ApiKey.Metadata, {
          topics,
          allowAutoTopicCreation: false,
          includeTopicAuthorizedOperations: false,
        })
        .then(
          () => 'answered' as const,
          (error: unknown) => error,
        ),
      new Promise<'still pending'>((resolve) => setTimeout(() => resolve('still pending'), 30_000).unref()),
    ])
    const elapsed = Date.now() - started
    assert.ok(outcome instanceof TimeoutError, `expected a TimeoutError, got ${String(outcome)}`)
    assert.equal(outcome.retriable, true)
    assert.ok(elapsed < 25_000, `the request failed after ${elapsed} ms, for a 2000 ms timeout`)
    // The socket is destroyed at once; its close event follows within a turn or two.
    for (let i = 0; i < 50 && conn.state !== 'closed'; i++) await new Promise((r) => setTimeout(r, 20))
    assert.equal(conn.state, 'closed', 'the connection whose byte stream is in an unknown state is closed')
  } finally {
    proxy.throttle(null)
    await viaProxy.close()
    await proxy.close()
  }
})

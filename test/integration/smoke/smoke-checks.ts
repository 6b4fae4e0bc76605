// What every smoke test checks, whatever the broker: the official Java client moves 1,000 messages
// intact, the fault proxy cuts and restores connections, and data written before a SIGKILL is
// still there after the restart.
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { startFaultProxy } from '../../support/fault-proxy.ts'
import { javaConsume, javaProduce, type JsonMessage } from '../../support/interop.ts'

export function uniqueTopic(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}

/** The generated messages k-i / v-i / i=i, each exactly once. */
export function assertGenerated(messages: JsonMessage[], count: number): void {
  assert.equal(messages.length, count)
  const seen = new Set<number>()
  for (const m of messages) {
    const i = Number(m.headers.i)
    assert.ok(Number.isInteger(i) && i >= 0 && i < count, `unexpected header i=${m.headers.i}`)
    assert.equal(m.key, `k-${i}`)
    assert.equal(m.value, `v-${i}`)
    assert.ok(!seen.has(i), `message ${i} delivered twice`)
    seen.add(i)
  }
}

export async function roundTrip1000(
  url: string,
  topic: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const acks = await javaProduce({ url, topic, count: 1000, compression: 'lz4', ...extra })
  assert.equal(acks.length, 1000)
  const messages = await javaConsume({ url, topic, count: 1000, timeoutMs: 120_000, ...extra })
  assertGenerated(messages, 1000)
}

/**
 * Through a fault proxy in front of `port`: `probe(port)` works, an open connection dies on
 * cutAll(), new connections are refused while refuseNew is on and work again after.
 */
export async function faultProxyCutsAndRestores(
  port: number,
  probe: (port: number) => Promise<unknown>,
): Promise<void> {
  const proxy = await startFaultProxy({ targetHost: '127.0.0.1', targetPort: port })
  try {
    await probe(proxy.port)

    const socket = connect({ host: proxy.host, port: proxy.port })
    socket.on('error', () => {})
    await new Promise((resolve) => socket.once('connect', resolve))
    const deadline = Date.now() + 5000
    while (proxy.connections() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    const closed = new Promise((resolve) => socket.once('close', resolve))
    proxy.cutAll()
    await closed
    await probe(proxy.port)

    proxy.refuseNew(true)
    await assert.rejects(Promise.resolve(probe(proxy.port)))
    proxy.refuseNew(false)
    await probe(proxy.port)

    proxy.blackhole(true)
    await assert.rejects(Promise.resolve(probe(proxy.port)))
    proxy.blackhole(false)
    await probe(proxy.port)
  } finally {
    await proxy.close()
  }
}

export async function dataSurvivesKill(
  broker: { url: string; kill(): Promise<void>; restart(): Promise<void> },
  topic: string,
  isDown: () => Promise<unknown>,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await javaProduce({ url: broker.url, topic, count: 200, ...extra })
  await broker.kill()
  await assert.rejects(Promise.resolve(isDown()), 'the broker still answers after SIGKILL')
  await broker.restart()
  const messages = await javaConsume({ url: broker.url, topic, count: 200, timeoutMs: 120_000, ...extra })
  assertGenerated(messages, 200)
}

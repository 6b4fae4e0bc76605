// The binary driver's connection against the real standalone: it walks the shared state machine
// (disconnected → connecting → handshaking → ready → closing → closed) and publishes request
// start/end/error on the diagnostics channels, driver 'pulsar', as the Kafka driver does.
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { channels } from '../../../src/core/diagnostics.ts'
import type { ConnectionStateEvent, RequestEvent } from '../../../src/core/diagnostics.ts'
import { BrokerError } from '../../../src/core/errors.ts'
import { PulsarConnection } from '../../../src/pulsar/connection.ts'
import { CommandType } from '../../../src/pulsar/protocol/commands.ts'
import { createClient, PulsarProducer } from '../../../src/pulsar/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { unique } from './helpers.ts'

let url: string

before(async () => {
  url = (await useBroker('pulsar')).url
})

/** Collects what `channel` publishes for the Pulsar driver until the returned stop() is called. */
function collect<T extends { driver: string }>(channel: {
  subscribe(fn: (m: T) => void): void
  unsubscribe(fn: (m: T) => void): boolean
}): { events: T[]; stop(): void } {
  const events: T[] = []
  const fn = (m: T): void => {
    if (m.driver === 'pulsar') events.push(m)
  }
  channel.subscribe(fn)
  return { events, stop: () => channel.unsubscribe(fn) }
}

void test('a connection passes disconnected → connecting → handshaking → ready → closing → closed', async () => {
  const { hostname, port } = new URL(url)
  const states = collect<ConnectionStateEvent>(channels.connectionState)
  try {
    const conn = await PulsarConnection.connect({ host: hostname, port: Number(port) })
    assert.equal(conn.state, 'ready')
    await conn.close()
    assert.equal(conn.state, 'closed')
    const mine = states.events.filter((e) => e.connection === conn.address)
    assert.deepEqual(
      mine.map((e) => `${e.from}→${e.to}`),
      [
        'disconnected→connecting',
        'connecting→handshaking',
        'handshaking→ready',
        'ready→closing',
        'closing→closed',
      ],
    )
    assert.equal(mine.at(-1)!.error, undefined, 'a requested close carries no error')
  } finally {
    states.stop()
  }
})

void test('a refused connect ends connecting → closed with the error', async () => {
  const states = collect<ConnectionStateEvent>(channels.connectionState)
  try {
    // Port 1 on loopback: nothing listens, the connect is refused at once.
    await assert.rejects(PulsarConnection.connect({ host: '127.0.0.1', port: 1 }))
    const mine = states.events.filter((e) => e.connection === '127.0.0.1:1')
    assert.deepEqual(
      mine.map((e) => `${e.from}→${e.to}`),
      ['disconnected→connecting', 'connecting→closed'],
    )
    assert.ok(mine[1]!.error instanceof Error)
  } finally {
    states.stop()
  }
})

void test('requests publish start and end (or error) with the command name and request id', async () => {
  const start = collect<RequestEvent>(channels.requestStart)
  const end = collect<RequestEvent>(channels.requestEnd)
  const error = collect<RequestEvent>(channels.requestError)
  const client = await createClient(url)
  try {
    const topic = unique('diag')
    const p = await PulsarProducer.create(client, { topic })
    await p.send({ value: 'x' })
    const ops = start.events.map((e) => e.operation)
    for (const op of ['PARTITIONED_METADATA', 'LOOKUP', 'PRODUCER'])
      assert.ok(ops.includes(op), `${op} in ${ops}`)
    for (const s of start.events) {
      const done = [...end.events, ...error.events].find(
        (e) => e.requestId === s.requestId && e.connection === s.connection,
      )
      assert.ok(done, `${s.operation} #${s.requestId} ended`)
      assert.equal(done.operation, s.operation)
      assert.ok(done.durationMs! >= 0)
    }
    // A request the broker refuses ends on the error channel, with the BrokerError.
    const conn = await client.serviceConnection()
    const id = conn.newRequestId()
    await assert.rejects(
      conn.sendRequest(id, {
        type: CommandType.PRODUCER,
        producer: { topic: 'persistent://no-such-tenant/ns/t', producerId: 9999n, requestId: id },
      }),
      BrokerError,
    )
    const failed = error.events.find((e) => e.requestId === id && e.connection === conn.address)
    assert.ok(failed, 'PRODUCER on a missing tenant published requestError')
    assert.equal(failed.operation, 'PRODUCER')
    assert.ok(failed.error instanceof BrokerError)
  } finally {
    start.stop()
    end.stop()
    error.stop()
    await client.close()
  }
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import dc from 'node:diagnostics_channel'
import { STORAGE_DAMAGE_CHANNEL, channels, publish, type RequestEvent } from '../../src/core/diagnostics.ts'

void test('channels carry the documented names', () => {
  assert.deepEqual(
    Object.values(channels).map((c) => c.name),
    [
      'conduit:connection:state',
      'conduit:request:start',
      'conduit:request:end',
      'conduit:request:error',
      'conduit:message:send',
      'conduit:message:receive',
      'conduit:consumer:offset-reset',
      'conduit:error',
      'conduit:throttle',
      'conduit:storage:damage',
    ],
  )
  assert.equal(STORAGE_DAMAGE_CHANNEL, channels.storageDamage.name)
  // Subscribing by name (what an APM does, without importing Conduit) reaches the same channel.
  assert.equal(dc.channel('conduit:request:start'), channels.requestStart as unknown)
})

void test('publish builds the payload only when someone subscribes', () => {
  let built = 0
  const factory = (): RequestEvent => {
    built++
    return { driver: 'kafka', connection: '127.0.0.1:9092', operation: 'Metadata v12', requestId: 1 }
  }
  publish(channels.requestStart, factory)
  assert.equal(built, 0)

  const seen: RequestEvent[] = []
  const onMessage = (m: RequestEvent): void => void seen.push(m)
  dc.subscribe('conduit:request:start', onMessage as (m: unknown) => void)
  try {
    publish(channels.requestStart, factory)
    assert.equal(built, 1)
    assert.equal(seen[0]?.operation, 'Metadata v12')
  } finally {
    dc.unsubscribe('conduit:request:start', onMessage as (m: unknown) => void)
  }
  publish(channels.requestStart, factory)
  assert.equal(built, 1)
})

// Smoke test of the real Pulsar standalone this project runs for its tests.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { pulsarHandshake } from '../../../tools/brokers/probe-pulsar.ts'
import { useBroker, type BrokerHandle } from '../../support/brokers.ts'
import { dataSurvivesKill, faultProxyCutsAndRestores, roundTrip1000, uniqueTopic } from './smoke-checks.ts'

let broker: BrokerHandle
let port: number

before(async () => {
  broker = await useBroker('pulsar', { exclusive: true })
  port = Number(new URL(broker.url).port)
})
after(() => broker?.stop())

void test('broker is up: admin API, WebSocket URL and binary protocol', async () => {
  const clusters = await fetch(`${broker.urls.admin}/admin/v2/clusters`)
  assert.equal(clusters.status, 200)
  assert.deepEqual(await clusters.json(), ['standalone'])
  assert.match(broker.urls.ws!, /^ws:\/\/127\.0\.0\.1:\d+$/)
  assert.equal(await pulsarHandshake(port), true)
})

void test('the official Java client produces and consumes 1,000 messages', async () => {
  await roundTrip1000(broker.url, uniqueTopic('smoke-pulsar'))
})

void test('the fault proxy cuts and restores a connection to the broker', async () => {
  await faultProxyCutsAndRestores(port, (p) => pulsarHandshake(p, { timeoutMs: 1000 }))
})

void test('a SIGKILLed broker restarts on the same ports with its data', async () => {
  await dataSurvivesKill(broker, uniqueTopic('smoke-pulsar-kill'), () =>
    pulsarHandshake(port, { timeoutMs: 1000 }),
  )
})

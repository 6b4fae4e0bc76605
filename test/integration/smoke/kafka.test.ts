// Smoke test of the real Kafka this project runs for its tests.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { kafkaMetadataBrokers } from '../../../tools/brokers/probe-kafka.ts'
import { useBroker, type BrokerHandle } from '../../support/brokers.ts'
import { dataSurvivesKill, faultProxyCutsAndRestores, roundTrip1000, uniqueTopic } from './smoke-checks.ts'

let broker: BrokerHandle
let port: number

before(async () => {
  // Exclusive: this file kills and restarts its broker.
  broker = await useBroker('kafka', { exclusive: true })
  port = Number(broker.urls.bootstrap!.split(':')[1])
})
after(() => broker?.stop())

void test('broker is up and advertises itself on loopback', async () => {
  assert.match(broker.url, /^kafka:\/\/127\.0\.0\.1:\d+$/)
  assert.deepEqual(
    (await kafkaMetadataBrokers(port)).map((b) => `${b.host}:${b.port}`),
    [`127.0.0.1:${port}`],
  )
})

void test('the official Java client produces and consumes 1,000 messages', async () => {
  await roundTrip1000(broker.url, uniqueTopic('smoke-kafka'))
})

void test('the fault proxy cuts and restores a connection to the broker', async () => {
  await faultProxyCutsAndRestores(port, (p) => kafkaMetadataBrokers(p, 1000))
})

void test('a SIGKILLed broker restarts on the same port with its data', async () => {
  await dataSurvivesKill(broker, uniqueTopic('smoke-kafka-kill'), () => kafkaMetadataBrokers(port, 1000))
  assert.equal((await kafkaMetadataBrokers(port)).length, 1)
})

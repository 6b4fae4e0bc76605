// Smoke test of the real RocketMQ (name server + broker) this project runs for its tests.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { rocketmqBrokerRegistered, rocketmqClusterInfo } from '../../../tools/brokers/probe-rocketmq.ts'
import { useBroker, type BrokerHandle } from '../../support/brokers.ts'
import { dataSurvivesKill, faultProxyCutsAndRestores, roundTrip1000, uniqueTopic } from './smoke-checks.ts'

let broker: BrokerHandle
let namesrvPort: number
let brokerPort: number

before(async () => {
  broker = await useBroker('rocketmq', { exclusive: true })
  namesrvPort = Number(broker.urls.namesrv!.split(':')[1])
  brokerPort = Number(broker.urls.broker!.split(':')[1])
})
after(() => broker?.stop())

void test('name server is up and routes to the broker', async () => {
  assert.equal(broker.url, `rocketmq://127.0.0.1:${namesrvPort}`)
  assert.equal(await rocketmqBrokerRegistered(namesrvPort, brokerPort), true)
})

void test('the official Java client produces and consumes 1,000 messages', async () => {
  await roundTrip1000(broker.url, uniqueTopic('smoke-rocketmq'))
})

void test('the fault proxy cuts and restores a connection to the name server', async () => {
  await faultProxyCutsAndRestores(namesrvPort, (p) => rocketmqClusterInfo(p, 1000))
})

void test('a SIGKILLed broker restarts on the same ports with its data', async () => {
  await dataSurvivesKill(
    broker,
    uniqueTopic('smoke-rocketmq-kill'),
    () => rocketmqClusterInfo(namesrvPort, 1000),
    {
      batch: false,
    },
  )
  assert.equal(await rocketmqBrokerRegistered(namesrvPort, brokerPort), true)
})

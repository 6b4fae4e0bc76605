// The client layer against the real name server and broker: name-server failover, routes,
// heartbeats registering groups, broker connections shared by address, unregister on close.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { useBroker } from '../../support/brokers.ts'
import { connect } from '../../../src/index.ts'
import { RocketMQPushConsumer } from '../../../src/rocketmq/consumer/push-consumer.ts'
import { createTopic, newClient, unique } from './helpers.ts'

const broker = await useBroker('rocketmq')

/** A port nothing listens on: a name server that is down. */
async function deadPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  await new Promise((r) => server.close(r))
  return port
}

void test('a dead first name server fails over to the next one', async () => {
  const b = await connect(`rocketmq://127.0.0.1:${await deadPort()};${broker.urls.namesrv}`)
  try {
    const topic = unique('fo')
    const producer = await b.producer({ topic })
    const consumer = await b.consumer({ topic, from: 'earliest' })
    await producer.send({ value: 'through the second name server' })
    for await (const batch of consumer) {
      assert.equal(batch.messages[0]!.valueString(), 'through the second name server')
      await batch.ack()
      break
    }
  } finally {
    await b.close()
  }
})

void test('one connection per broker address; heartbeats register the group; close unregisters it', async () => {
  const client = newClient(broker.url)
  const observer = newClient(broker.url)
  try {
    const topic = unique('hb')
    await createTopic(client, topic, 2)
    const route = (await client.route(topic))!
    const address = route.brokers[0]!.brokerAddrs.get(0)!
    assert.equal(client.getOrNewBroker(address), client.getOrNewBroker(address))
    const group = unique('g')
    const consumer = new RocketMQPushConsumer(client, { group, subscriptions: [{ topic }] })
    await consumer.start()
    assert.deepEqual(await observer.consumerIds(address, group), [client.clientId])
    await consumer.close()
    assert.deepEqual(await observer.consumerIds(address, group), [])
    const info = await client.nameServers.clusterInfo()
    assert.ok([...info.brokers.values()].some((b) => b.brokerAddrs.get(0) === address))
  } finally {
    await client.close()
    await observer.close()
  }
})

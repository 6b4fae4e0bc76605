// Issue 16: the final offset commit of close() is never swallowed. With the broker's connections
// cut (fault proxy, new ones refused) right before close(), the commit cannot be written; close()
// must reject with that ConnectionError — for the native consumer, the contract consumer and
// broker.close() — and publish it on `conduit:rocketmq:offset-commit-error`, after leaving the
// group and closing connections. Broadcasting offsets that cannot be saved to their local file
// are reported the same way.

import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConnectionError } from '../../../src/core/errors.ts'
import { connect } from '../../../src/index.ts'
import {
  offsetCommitErrors,
  type OffsetCommitErrorEvent,
} from '../../../src/rocketmq/consumer/offset-commits.ts'
import { RocketMQPushConsumer } from '../../../src/rocketmq/consumer/push-consumer.ts'
import { RocketMQProducer } from '../../../src/rocketmq/producer/producer.ts'
import { useBroker } from '../../support/brokers.ts'
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts'
import { collect, createTopic, newClient, unique } from './helpers.ts'

const broker = await useBroker('rocketmq')
const client = newClient(broker.url)
const producer = new RocketMQProducer(client, { group: unique('pg') })
producer.start()
const events: OffsetCommitErrorEvent[] = []
const listen = (e: OffsetCommitErrorEvent): void => {
  events.push(e)
}
offsetCommitErrors.subscribe(listen)
after(async () => {
  offsetCommitErrors.unsubscribe(listen)
  await producer.close()
  await client.close()
})

/** A proxy in front of the broker, and the mapAddress that sends broker traffic through it. */
async function brokerProxy(): Promise<{
  proxy: FaultProxy
  mapAddress: (h: string, p: number) => { host: string; port: number }
}> {
  const [host, port] = broker.urls.broker!.split(':')
  const proxy = await startFaultProxy({ targetHost: host!, targetPort: Number(port) })
  return {
    proxy,
    mapAddress: (h, p) =>
      `${h}:${p}` === broker.urls.broker ? { host: proxy.host, port: proxy.port } : { host: h, port: p },
  }
}

/** Cuts the broker off: open connections are closed and new ones refused. */
function cutOff(proxy: FaultProxy): void {
  proxy.refuseNew(true)
  proxy.cutAll()
}

void test('native consumer: close() rejects when its final commit cannot be written', async () => {
  const topic = unique('cce')
  const group = unique('g')
  await createTopic(client, topic, 1)
  await producer.send({ topic, body: 'one' })
  const { proxy, mapAddress } = await brokerProxy()
  const own = newClient(broker.url, { mapAddress })
  const consumer = new RocketMQPushConsumer(own, { group, subscriptions: [{ topic }], consumeFrom: 'first' })
  try {
    await consumer.start()
    await collect(consumer, (all) => all.length >= 1)
    cutOff(proxy)
    await assert.rejects(consumer.close(), ConnectionError)
    const mine = events.filter((e) => e.group === group && e.topic === topic)
    assert.equal(mine.length, 1)
    assert.equal(mine[0]!.reason, 'close')
    assert.equal(mine[0]!.offset, 1)
    assert.ok(mine[0]!.error instanceof ConnectionError)
  } finally {
    await own.close()
    await proxy.close()
  }
})

void test('contract consumer and broker.close(): the unwritten final commit is their error', async () => {
  for (const closeWith of ['consumer', 'broker'] as const) {
    const topic = unique('cce')
    await createTopic(client, topic, 1)
    await producer.send({ topic, body: 'one' })
    const { proxy, mapAddress } = await brokerProxy()
    const contract = await connect(broker.url, { mapAddress })
    let closed = false
    try {
      const consumer = await contract.consumer({ topic, group: unique('g'), from: 'earliest' })
      const iterator = consumer[Symbol.asyncIterator]()
      const batch = await iterator.next()
      assert.equal(batch.done, false)
      await batch.value!.ack()
      cutOff(proxy)
      await assert.rejects(
        closeWith === 'consumer' ? consumer.close() : contract.close(),
        ConnectionError,
        closeWith,
      )
      if (closeWith === 'broker') closed = true
    } finally {
      if (!closed) await contract.close()
      await proxy.close()
    }
  }
})

void test('broadcasting: offsets that cannot be saved are reported periodically and fail close()', async () => {
  const topic = unique('cce')
  const group = unique('g')
  await createTopic(client, topic, 1)
  await producer.send({ topic, body: 'one' })
  const dir = await mkdtemp(join(tmpdir(), 'conduit-rmq-cce-'))
  const own = newClient(broker.url)
  const consumer = new RocketMQPushConsumer(own, {
    group,
    subscriptions: [{ topic }],
    model: 'BROADCASTING',
    consumeFrom: 'first',
    offsetStoreDir: dir,
    persistOffsetIntervalMs: 100,
  })
  try {
    await consumer.start()
    await collect(consumer, (all) => all.length >= 1)
    // A file where the store's directory should be: every write fails from now on.
    await rm(dir, { recursive: true, force: true })
    await writeFile(dir, 'not a directory')
    await producer.send({ topic, body: 'two' })
    await collect(consumer, (all) => all.length >= 1)
    const deadline = Date.now() + 10_000
    while (!events.some((e) => e.group === group && e.reason === 'periodic') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    assert.ok(
      events.some((e) => e.group === group && e.reason === 'periodic' && e.topic === topic),
      'a periodic save failure was published',
    )
    await assert.rejects(consumer.close(), (err: NodeJS.ErrnoException) => typeof err.code === 'string')
    assert.ok(events.some((e) => e.group === group && e.reason === 'close' && e.offset === 2))
  } finally {
    await own.close()
    await rm(dir, { force: true })
  }
})

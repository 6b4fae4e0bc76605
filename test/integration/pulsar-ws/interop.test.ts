// Interoperability: what the official Java client and Conduit's binary driver write, this driver
// reads (payload, key, properties, ids), and the other way round. Ids are the same MessageIdData on
// both APIs, so a receipt of one driver names the message the other one reads.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { createClient } from '../../../src/pulsar/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { javaConsume, javaProduce } from '../../support/interop.ts'
import { client, next, unique } from './helpers.ts'

const broker = await useBroker('pulsar')
const ws = client(broker.urls.ws!)
after(() => ws.close())

void test('the Java client writes, this driver reads (batched and compressed)', async () => {
  const topic = unique('ws-from-java')
  const sent = await javaProduce({
    url: broker.url,
    topic,
    compression: 'zstd',
    messages: [
      { key: 'k1', value: 'from java', headers: { h: 'v' } },
      { value: new Uint8Array([0, 1, 2, 255]) },
    ],
  })
  const r = await ws.reader({ topic, startMessageId: 'earliest' })
  const a = await next(r)
  const b = await next(r)
  assert.equal(a.text(), 'from java')
  assert.equal(a.key, 'k1')
  assert.deepEqual(a.properties, { h: 'v' })
  assert.deepEqual([...b.payload], [0, 1, 2, 255])
  assert.equal(b.key, undefined)
  if (typeof sent[0]!.messageId === 'string') {
    assert.match(
      sent[0]!.messageId,
      new RegExp(`^${a.id.ledgerId}:${a.id.entryId}`),
      'Java names the same entry',
    )
  }
  await r.close()
})

void test('this driver writes, the Java client reads', async () => {
  const topic = unique('ws-to-java')
  await ws.produce(
    topic,
    [{ key: 'k', payload: 'to java', properties: { p: '1' } }, { payload: new Uint8Array([9, 8, 7]) }],
    { compressionType: 'LZ4', batchingEnabled: true },
  )
  const got = await javaConsume({ url: broker.url, topic, count: 2, from: 'earliest', timeoutMs: 30_000 })
  assert.equal(got[0]!.value, 'to java')
  assert.equal(got[0]!.key, 'k')
  assert.deepEqual(got[0]!.headers, { p: '1' })
  const second = got[1]!
  const bytes =
    second.encoding === 'base64' ? [...Buffer.from(second.value!, 'base64')] : [...Buffer.from(second.value!)]
  assert.deepEqual(bytes, [9, 8, 7])
})

void test('the binary driver and this one read each other’s messages and ids', async () => {
  const topic = unique('ws-binary')
  const native = await createClient(broker.url)
  try {
    const { PulsarProducer, PulsarConsumer } = await import('../../../src/pulsar/index.ts')
    const bp = await PulsarProducer.create(native, { topic })
    const binaryId = await bp.send({ key: 'bk', value: 'from binary', properties: { via: 'binary' } })
    const r = await ws.reader({ topic, startMessageId: 'earliest' })
    const m = await next(r)
    assert.equal(m.text(), 'from binary')
    assert.equal(m.key, 'bk')
    assert.deepEqual(m.properties, { via: 'binary' })
    assert.equal(m.id.toString(), binaryId.toString(), 'the same id on both APIs')

    const [receipt] = await ws.produce(topic, [{ key: 'wk', payload: 'from ws', properties: { via: 'ws' } }])
    const bc = await PulsarConsumer.create(native, { topic, subscription: 'b', initialPosition: 'earliest' })
    const seen = []
    for (let i = 0; i < 2; i++) {
      const x = (await bc.receive())!
      seen.push(x)
      await bc.acknowledge(x)
    }
    assert.equal(seen[1]!.valueString(), 'from ws')
    assert.equal(seen[1]!.keyString(), 'wk')
    assert.deepEqual(seen[1]!.properties, { via: 'ws' })
    assert.equal(seen[1]!.id, receipt!.id.toString(), 'the receipt id is the id the binary consumer sees')
    // A reader of this driver starts after an id the binary driver handed out.
    const after = await ws.reader({ topic, startMessageId: binaryId.toString() })
    assert.equal((await next(after)).text(), 'from ws')
    await Promise.all([r.close(), after.close(), bc.close(), bp.close()])
  } finally {
    await native.close()
  }
})

// Parameters the driver passes through to the WebSocket service, checked against the real
// standalone for what the server does with them: subscriptionMode NonDurable, deliverAt /
// deliverAfterMs, replicationClusters, producer encryptionKeys, and consumer/reader
// cryptoFailureAction on messages the official Java client encrypted end to end.
import assert from 'node:assert/strict'
import { constants, createDecipheriv, generateKeyPairSync, privateDecrypt } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { BrokerError } from '../../../src/core/errors.ts'
import { useBroker } from '../../support/brokers.ts'
import { javaProduce } from '../../support/interop.ts'
import { client, maybeNext, next, unique, within } from './helpers.ts'

const broker = await useBroker('pulsar')
const ws = client(broker.urls.ws!)
after(() => ws.close())
const full = (topic: string): string => `persistent://public/default/${topic}`

/** Polls `check` until it holds (bounded), for broker state that settles asynchronously. */
async function eventually(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

void test('NonDurable: no durable cursor is left behind and a reopened subscription starts at the latest message', async () => {
  const topic = unique('ws-nondurable')
  const p = await ws.producer({ topic })
  await p.send('before')
  const c = await ws.consumer({ topic, subscription: 'nd', subscriptionMode: 'NonDurable' })
  const stats = await ws.admin.topicStats(full(topic))
  assert.equal(stats.subscriptions.nd?.isDurable, false, 'the broker reports the subscription as non-durable')
  await p.send('during')
  const m = await next(c)
  assert.equal(m.text(), 'during', 'a new NonDurable subscription starts at the latest message')
  c.ack(m)
  await p.send('unread')
  await c.close()
  // A non-durable subscription lives only while a consumer is attached: nothing is persisted.
  await eventually(
    async () => !(await ws.admin.listSubscriptions(full(topic))).includes('nd'),
    'the non-durable subscription disappears once its consumer left',
  )
  const again = await ws.consumer({ topic, subscription: 'nd', subscriptionMode: 'NonDurable' })
  await p.send('after')
  const first = await next(again)
  assert.equal(first.text(), 'after', 'the reopened subscription did not keep the unread message')
  await again.close()

  // The same sequence on a Durable subscription keeps the cursor and the unread message.
  const d = await ws.consumer({ topic, subscription: 'd', subscriptionMode: 'Durable' })
  await p.send('durable-unread')
  await d.close()
  assert.ok((await ws.admin.listSubscriptions(full(topic))).includes('d'), 'a durable cursor stays')
  const d2 = await ws.consumer({ topic, subscription: 'd' })
  assert.equal((await next(d2)).text(), 'durable-unread', 'a durable subscription resumes where it was')
  await Promise.all([d2.close(), p.close()])
})

void test('deliverAfterMs and deliverAt hold a message back on a Shared subscription until its time', async () => {
  const topic = unique('ws-delayed')
  const shared = await ws.consumer({ topic, subscription: 'sh', subscriptionType: 'Shared' })
  const p = await ws.producer({ topic })
  const sentAt = Date.now()
  await p.send([
    { payload: 'after-3s', deliverAfterMs: 3000 },
    { payload: 'at-4s', deliverAt: new Date(sentAt + 4000) },
    { payload: 'now' },
  ])
  // The undelayed message comes first; the delayed ones are not there within the first second
  // (the broker's delayed-delivery tick may release a message up to 1 s early, never 2 s).
  const first = await next(shared, 30_000)
  assert.equal(first.text(), 'now')
  shared.ack(first)
  const early = await maybeNext(shared, Math.max(0, sentAt + 1000 - Date.now()))
  assert.equal(early, undefined, `nothing delayed arrives within 1 s, got ${early?.text()}`)
  const later = [await next(shared, 30_000), await next(shared, 30_000)]
  const arrived = Date.now()
  assert.deepEqual(later.map((m) => m.text()).sort(), ['after-3s', 'at-4s'])
  assert.ok(arrived - sentAt >= 2000, `delayed messages arrived after ${arrived - sentAt} ms`)
  for (const m of later) shared.ack(m)
  await Promise.all([shared.close(), p.close()])
})

void test('deliverAfterMs does not delay an Exclusive subscription (delayed delivery is for Shared)', async () => {
  const topic = unique('ws-delayed-ex')
  const ex = await ws.consumer({ topic, subscription: 'ex', subscriptionType: 'Exclusive' })
  const shared = await ws.consumer({ topic, subscription: 'sh', subscriptionType: 'Shared' })
  const p = await ws.producer({ topic })
  await p.send({ payload: 'in-a-minute', deliverAfterMs: 60_000 })
  // Well within the minute: the Exclusive subscription gets it, the Shared one does not.
  assert.equal((await next(ex, 30_000)).text(), 'in-a-minute')
  assert.equal(await maybeNext(shared, 2000), undefined, 'the Shared subscription still waits')
  await Promise.all([ex.close(), shared.close(), p.close()])
})

void test('replicationClusters: the local cluster is accepted and delivered; an unknown cluster is not checked and changes nothing locally', async () => {
  const topic = unique('ws-replication')
  const c = await ws.consumer({ topic, subscription: 's' })
  const p = await ws.producer({ topic })
  const [local] = await p.send([{ payload: 'local', replicationClusters: ['standalone'] }])
  assert.ok(local!.messageId, 'the broker stored the message')
  assert.equal((await next(c)).text(), 'local')
  // Pulsar leaves valid cluster names to the caller: a message naming a cluster that does not
  // exist is stored (receipt ok) and still delivered to local subscriptions — replicate_to only
  // steers replicators, and this topic has none.
  const [elsewhere] = await p.send([{ payload: 'elsewhere', replicationClusters: ['no-such-cluster'] }])
  assert.ok(elsewhere!.messageId, 'a message for an unknown cluster is stored (receipt ok)')
  assert.equal((await next(c)).text(), 'elsewhere')
  const stats = (await ws.admin.topicStats(full(topic))) as { replication?: Record<string, unknown> }
  assert.deepEqual(Object.keys(stats.replication ?? {}), [], 'no replicator was created for it')
  await Promise.all([c.close(), p.close()])
})

void test('encryptionKeys: the server refuses to create the producer without a crypto key reader', async () => {
  const topic = unique('ws-encrypt')
  const error = await ws.producer({ topic, encryptionKeys: ['app-key'] }).catch((e: unknown) => e)
  assert.ok(error instanceof BrokerError, String(error))
  assert.equal(error.brokerCode, 500)
  assert.match(error.message, /cryptoKeyReaderFactoryClassName/, 'the server says what it needs')
})

void test('cryptoFailureAction on a Java-encrypted message: CONSUME delivers the encrypted payload and its context, FAIL and DISCARD do not deliver it; a reader gets the bytes without context', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-ws-crypto-'))
  try {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const publicFile = join(dir, 'public.pem')
    writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }))
    const topic = unique('ws-crypto')
    // Subscriptions first (from the start), so each sees both messages.
    const consume = await ws.consumer({ topic, subscription: 'consume', cryptoFailureAction: 'CONSUME' })
    const fail = await ws.consumer({ topic, subscription: 'fail' })
    const discard = await ws.consumer({ topic, subscription: 'discard', cryptoFailureAction: 'DISCARD' })
    const secret = 'the secret text'
    await javaProduce({
      url: broker.url,
      topic,
      batch: false,
      messages: [{ key: 'k', value: secret, headers: { h: 'v' } }],
      extraArgs: ['--encryption-key', 'conduit-key', '--encryption-public-key', publicFile],
    })
    await ws.produce(topic, ['plain after'])

    const m = await next(consume, 30_000)
    assert.notEqual(m.text(), secret, 'the payload is the encrypted bytes')
    assert.equal(m.key, 'k', 'the key is not encrypted')
    assert.deepEqual(m.properties, { h: 'v' }, 'properties are not encrypted')
    const ctx = m.encryptionContext
    assert.ok(ctx, 'an undecrypted message carries its encryption context')
    assert.deepEqual(Object.keys(ctx.keys), ['conduit-key'])
    assert.equal(ctx.compressionType, 'NONE')
    assert.equal(ctx.uncompressedMessageSize, Buffer.byteLength(secret))
    assert.equal(ctx.batchSize, undefined)
    // The context is all a holder of the private key needs: the data key (RSA-OAEP) and the IV
    // for AES-GCM, whose 16-byte tag ends the payload.
    const dataKey = privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      ctx.keys['conduit-key']!.keyValue,
    )
    const body = m.payload.subarray(0, m.payload.length - 16)
    const algorithm = `aes-${dataKey.length * 8}-gcm` as 'aes-256-gcm'
    const decipher = createDecipheriv(algorithm, dataKey, ctx.param)
    decipher.setAuthTag(m.payload.subarray(m.payload.length - 16))
    const plain = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')
    assert.equal(plain, secret)
    consume.ack(m)
    const plainMessage = await next(consume)
    assert.equal(plainMessage.text(), 'plain after')
    assert.equal(plainMessage.encryptionContext, undefined)
    consume.ack(plainMessage)

    // FAIL (the default) and DISCARD: the encrypted message is not delivered, the next one is.
    for (const [c, name] of [
      [fail, 'FAIL'],
      [discard, 'DISCARD'],
    ] as const) {
      const got = await next(c, 30_000)
      assert.equal(got.text(), 'plain after', `${name}: the encrypted message is not delivered`)
      c.ack(got)
    }
    // DISCARD acknowledges the message it dropped; FAIL leaves it unacknowledged in the backlog.
    await eventually(
      async () => (await ws.admin.backlog(full(topic), 'discard')) === 0,
      'DISCARD leaves nothing in the backlog',
    )
    await eventually(
      async () => (await ws.admin.backlog(full(topic), 'fail')) === 1,
      'FAIL leaves the undecryptable message in the backlog',
    )
    await Promise.all([consume.close(), fail.close(), discard.close()])

    // A reader with CONSUME gets the encrypted payload but, in 4.0.7, no context: the server's
    // ReaderHandler does not copy it into the frame (its ConsumerHandler does).
    const reader = await ws.reader({ topic, startMessageId: 'earliest', cryptoFailureAction: 'CONSUME' })
    const r = await next(reader, 30_000)
    assert.deepEqual([...r.payload], [...m.payload], 'the reader gets the same encrypted bytes')
    assert.equal(r.encryptionContext, undefined)
    await within(reader.close(), 10_000, 'reader close')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

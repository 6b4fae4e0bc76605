// End-to-end encrypted messages written by the official Java client (a CryptoKeyReader with an RSA
// key pair made for this run): Conduit cannot decrypt them and must never hand the ciphertext out
// as if it were the message. cryptoFailureAction 'fail' (default) surfaces EncryptedMessageError
// and leaves them unacknowledged, 'discard' acknowledges them, 'consume' delivers them flagged.
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import {
  EncryptedMessageError,
  PulsarAdmin,
  PulsarConsumer,
  createClient,
  encryptedMessage,
} from '../../../src/pulsar/index.ts'
import type { EncryptedMessageEvent, PulsarClient } from '../../../src/pulsar/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { javaProduce } from '../../support/interop.ts'
import { maybeNext, next, unique } from './helpers.ts'

const KEY_NAME = 'conduit-test-key'
let client: PulsarClient
let admin: PulsarAdmin
let url: string
let dir: string
let publicKeyFile: string

before(async () => {
  const b = await useBroker('pulsar')
  url = b.url
  client = await createClient(url)
  admin = new PulsarAdmin({ url: b.urls.admin! })
  // The Java client's default crypto reads a PEM public key (SubjectPublicKeyInfo) for RSA.
  const { publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  dir = mkdtempSync(join(tmpdir(), 'conduit-e2e-'))
  publicKeyFile = join(dir, 'public.pem')
  writeFileSync(publicKeyFile, publicKey)
})
after(async () => {
  await client.close()
  rmSync(dir, { recursive: true, force: true })
})

const encrypted = (): string[] => ['--encryption-key', KEY_NAME, '--encryption-public-key', publicKeyFile]

/** Java sends `values`, encrypted unless `plain`. */
async function javaSend(
  topic: string,
  values: string[],
  opts: { batch?: boolean; plain?: boolean; compression?: 'lz4' | 'none' } = {},
) {
  return javaProduce({
    url,
    topic,
    messages: values.map((value) => ({ value })),
    batch: opts.batch ?? false,
    compression: opts.compression ?? 'none',
    ...(opts.plain ? {} : { extraArgs: encrypted() }),
  })
}

function watchEncrypted(topic: string): { events: EncryptedMessageEvent[]; stop(): void } {
  const events: EncryptedMessageEvent[] = []
  const fn = (e: EncryptedMessageEvent): void => {
    if (e.topic === topic) events.push(e)
  }
  encryptedMessage.subscribe(fn)
  return { events, stop: () => encryptedMessage.unsubscribe(fn) }
}

void test("cryptoFailureAction 'fail' (default): receive() rejects with EncryptedMessageError, nothing is acknowledged", async () => {
  const topic = `persistent://public/default/${unique('e2e-fail')}`
  const c = await PulsarConsumer.create(client, { topic, subscription: 's', initialPosition: 'earliest' })
  const watch = watchEncrypted(topic)
  try {
    const sent = await javaSend(topic, ['secret-1', 'secret-2'])
    for (const s of sent) {
      const err = await c.receive().then(
        (m) => assert.fail(`an encrypted message was handed out: ${m?.valueString()}`),
        (e: unknown) => e,
      )
      assert.ok(err instanceof EncryptedMessageError, String(err))
      assert.equal(err.code, 'CONDUIT_PULSAR_ENCRYPTED_MESSAGE')
      assert.deepEqual(err.keyNames, [KEY_NAME])
      assert.equal(err.messageId.toString(), s.messageId)
    }
    // The consumer goes on: a plaintext message after them is delivered.
    await javaSend(topic, ['plain'], { plain: true })
    const m = await next(c)
    assert.equal(m.valueString(), 'plain')
    assert.equal(m.encrypted, false)
    await c.acknowledge(m)
    assert.deepEqual(
      watch.events.map((e) => e.action),
      ['fail', 'fail'],
    )
    // The two encrypted messages stay in the backlog.
    const deadline = Date.now() + 10_000
    while ((await admin.backlog(topic, 's')) !== 2) {
      assert.ok(Date.now() < deadline, 'backlog of the two encrypted messages')
      await new Promise((r) => setTimeout(r, 100))
    }
  } finally {
    watch.stop()
    await c.close()
  }
})

void test("cryptoFailureAction 'consume': the ciphertext is delivered flagged, with its encryption context", async () => {
  const topic = `persistent://public/default/${unique('e2e-consume')}`
  const c = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    initialPosition: 'earliest',
    cryptoFailureAction: 'consume',
  })
  try {
    await javaSend(topic, ['secret-single'])
    const single = await next(c)
    assert.equal(single.encrypted, true)
    assert.ok(!Buffer.from(single.value!).includes('secret-single'), 'the value is not the plaintext')
    const ctx = single.encryptionContext!
    assert.deepEqual(Object.keys(ctx.keys), [KEY_NAME])
    assert.ok(ctx.keys[KEY_NAME]!.keyValue.length > 0)
    assert.ok(ctx.param.length > 0, 'initialization vector')
    assert.equal(ctx.batchSize, undefined)
    await c.acknowledge(single)

    // A compressed batch is encrypted whole: one message, flagged, with the batch size.
    await javaSend(topic, ['b-1', 'b-2', 'b-3'], { batch: true, compression: 'lz4' })
    const batch = await next(c)
    assert.equal(batch.encrypted, true)
    assert.equal(batch.encryptionContext!.compressionType, 'LZ4')
    assert.ok((batch.encryptionContext!.batchSize ?? 1) >= 1)
    await c.acknowledge(batch)
  } finally {
    await c.close()
  }
})

void test("cryptoFailureAction 'discard': encrypted messages are acknowledged and reported, never delivered", async () => {
  const topic = `persistent://public/default/${unique('e2e-discard')}`
  const c = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    initialPosition: 'earliest',
    cryptoFailureAction: 'discard',
  })
  const watch = watchEncrypted(topic)
  try {
    await javaSend(topic, ['secret-1', 'secret-2'])
    await javaSend(topic, ['plain'], { plain: true })
    const m = await next(c)
    assert.equal(m.valueString(), 'plain')
    await c.acknowledge(m)
    assert.equal(await maybeNext(c, 300), undefined)
    assert.deepEqual(
      watch.events.map((e) => [e.action, e.keyNames]),
      [
        ['discard', [KEY_NAME]],
        ['discard', [KEY_NAME]],
      ],
    )
    const deadline = Date.now() + 10_000
    while ((await admin.backlog(topic, 's')) !== 0) {
      assert.ok(Date.now() < deadline, 'everything acknowledged')
      await new Promise((r) => setTimeout(r, 100))
    }
  } finally {
    watch.stop()
    await c.close()
  }
})

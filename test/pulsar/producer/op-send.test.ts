// The batch payload the producer writes in one pass must be byte-identical to the entries encoded
// one by one (each SingleMessageMetadata through encodeSingleMetadata, which is itself checked
// against the generated protobuf code), and decode back to the same messages.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { prepareMessage } from '../../../src/pulsar/producer/message-builder.ts'
import type { PulsarMessageInput } from '../../../src/pulsar/producer/message-builder.ts'
import { encodeBatchPayload } from '../../../src/pulsar/producer/op-send.ts'
import type { Queued } from '../../../src/pulsar/producer/op-send.ts'
import { concatBytes, decodeBatch, encodeBatchEntry } from '../../../src/pulsar/protocol/batch.ts'

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const noop = (): void => undefined

void test('encodeBatchPayload equals the entries encoded one by one, for plain and rich messages', () => {
  const r = rng(5)
  const text = (): string =>
    Array.from({ length: Math.floor(r() * 20) }, () =>
      String.fromCodePoint(r() < 0.8 ? 97 + Math.floor(r() * 26) : 0x4e00 + Math.floor(r() * 300)),
    ).join('')
  for (let round = 0; round < 300; round++) {
    const n = 1 + Math.floor(r() * 30)
    const items: Queued[] = []
    for (let i = 0; i < n; i++) {
      const input: PulsarMessageInput = {
        value: r() < 0.1 ? null : Buffer.alloc(Math.floor(r() * (r() < 0.1 ? 20_000 : 200)), i),
      }
      if (r() < 0.3) input.key = r() < 0.5 ? text() : Uint8Array.from([0xff, Math.floor(r() * 256)])
      if (r() < 0.3) input.properties = { [text()]: text(), x: text() }
      if (r() < 0.2) input.headers = { h: text() }
      if (r() < 0.2) input.eventTime = Math.floor(r() * 2 ** 42)
      if (r() < 0.1) input.orderingKey = text()
      const sequenceId = BigInt(round * 1000 + i) * (r() < 0.1 ? 2n ** 40n : 1n)
      items.push({ message: prepareMessage(input), sequenceId, resolve: noop, reject: noop })
    }
    const expected = concatBytes(
      items.flatMap((q) => {
        const m = q.message
        return encodeBatchEntry(
          {
            properties: m.properties,
            partitionKey: m.partitionKey,
            partitionKeyB64: m.partitionKeyB64,
            eventTime: m.eventTime > 0n ? m.eventTime : undefined,
            orderingKey: m.orderingKey,
            nullValue: m.nullValue,
            sequenceId: q.sequenceId,
          },
          m.value,
        )
      }),
    )
    const ours = encodeBatchPayload(items)
    assert.equal(Buffer.from(ours).toString('hex'), Buffer.from(expected).toString('hex'), `round ${round}`)
    const back = decodeBatch(ours, n)
    back.forEach((e, i) => {
      const m = items[i]!.message
      assert.deepEqual(Buffer.from(e.payload), Buffer.from(m.value))
      assert.equal(e.metadata.sequenceId, items[i]!.sequenceId)
      assert.equal(e.metadata.partitionKey, m.partitionKey ?? '')
      assert.equal(e.metadata.nullValue, m.nullValue)
      assert.equal(e.metadata.properties.length, m.properties.length)
    })
  }
})

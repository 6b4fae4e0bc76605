// Golden bytes written by hand from the protocol spec, and the header rules.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, ProtocolError, UnsupportedError } from '../../../src/core/errors.ts'
import { ApiKey } from '../../../src/kafka/protocol/api-keys.ts'
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeRequestParts,
  encodeResponse,
  readCorrelationId,
} from '../../../src/kafka/protocol/frame.ts'

/** Hex with `#` comments to the end of a line; whitespace and `|` are ignored. */
const hex = (s: string): Uint8Array =>
  Uint8Array.from(Buffer.from(s.replace(/#.*$/gm, '').replace(/[\s|]/g, ''), 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

void test('ApiVersions v3 request: header v2, compact strings, empty tagged sections', () => {
  const frame = encodeRequest(
    { apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 1, clientId: 'conduit' },
    { clientSoftwareName: 'conduit', clientSoftwareVersion: '1.0' },
  )
  const expected = hex(`
    0000001f  # size 31
    0012 0003 00000001  # api key 18, version 3, correlation id 1
    0007 636f6e64756974  # client id: int16 length + "conduit" (never compact)
    00  # header tagged fields
    08 636f6e64756974  # compact string "conduit" (length + 1)
    04 312e30  # compact string "1.0"
    00  # body tagged fields`)
  assert.equal(toHex(frame), toHex(expected))
})

void test('ApiVersions v2 request: header v1 (no tagged section), empty body', () => {
  const frame = encodeRequest(
    { apiKey: ApiKey.ApiVersions, apiVersion: 2, correlationId: 9, clientId: null },
    {},
  )
  assert.equal(toHex(frame), toHex(hex('0000000a 0012 0002 00000009 ffff')))
})

void test('Metadata v12 request: nullable topic name, topic id, defaults for omitted fields', () => {
  const frame = encodeRequest(
    { apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 7, clientId: 'c' },
    { topics: [{ name: 'orders' }] },
  )
  const expected = hex(`
    00000028 0003 000c 00000007 0001 63 00
    02  # one topic (compact array length + 1)
    00000000000000000000000000000000  # topic id: zero UUID (default)
    07 6f7264657273  # name "orders"
    00  # topic tagged fields
    01  # allowAutoTopicCreation (default true)
    00  # includeTopicAuthorizedOperations
    00  # body tagged fields`)
  assert.equal(toHex(frame), toHex(expected))

  const all = encodeRequest(
    { apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 8, clientId: 'c' },
    { topics: null, allowAutoTopicCreation: false },
  )
  // Body after the 16-byte header: null topics (compact length 0), false, false, no tags.
  assert.equal(toHex(all.subarray(16)), '00000000')
})

void test('Metadata v4 request: non-flexible arrays and strings', () => {
  const frame = encodeRequest(
    { apiKey: ApiKey.Metadata, apiVersion: 4, correlationId: 1, clientId: 'c' },
    { topics: [{ name: 'ab' }], allowAutoTopicCreation: false },
  )
  assert.equal(toHex(frame), toHex(hex('00000014 0003 0004 00000001 0001 63 | 00000001 0002 6162 | 00')))
})

void test('ApiVersions v3 response: header v0 (no tagged section) even though the body is flexible', () => {
  const withStructTags = hex(`
    0000002a  # correlation id 42, then no header tagged section
    0000  # error code
    03  # two api keys (compact array)
    0000 0003 000b 00  # Produce 3-11, entry tagged fields
    0012 0000 0004 00  # ApiVersions 0-4, entry tagged fields
    00000000  # throttle time
    01  # one tagged field
    01 08 0000000000000005  # tag 1 (finalizedFeaturesEpoch), size 8, value 5`)
  const { correlationId, body } = decodeResponse(ApiKey.ApiVersions, 3, withStructTags)
  assert.equal(correlationId, 42)
  assert.equal(body.errorCode, 0)
  assert.deepEqual(body.apiKeys, [
    { apiKey: 0, minVersion: 3, maxVersion: 11 },
    { apiKey: 18, minVersion: 0, maxVersion: 4 },
  ])
  assert.equal(body.finalizedFeaturesEpoch, 5n)
  assert.deepEqual(body.supportedFeatures, [])
  assert.equal(body.zkMigrationReady, false)
  const again = encodeResponse(ApiKey.ApiVersions, 3, 42, body)
  assert.equal(toHex(again.subarray(4)), toHex(withStructTags))
})

void test('ApiVersions: an UNSUPPORTED_VERSION answer arrives in v0 format and is still readable', () => {
  const frame = hex('00000005 0023 00000001 0012 0000 0003')
  const { body } = decodeResponse(ApiKey.ApiVersions, 4, frame)
  assert.equal(body.errorCode, 35)
  assert.deepEqual(body.apiKeys, [{ apiKey: 18, minVersion: 0, maxVersion: 3 }])
})

void test('flexible responses skip the header tagged section, including unknown header tags', () => {
  const body = encodeResponse(ApiKey.Metadata, 12, 3, { brokers: [], topics: [] }).subarray(4)
  // Insert one unknown header tag (tag 5, 2 bytes) after the correlation id.
  const withTag = new Uint8Array([...body.subarray(0, 4), 0x01, 0x05, 0x02, 0xaa, 0xbb, ...body.subarray(5)])
  assert.equal(decodeResponse(ApiKey.Metadata, 12, withTag).correlationId, 3)
  assert.equal(readCorrelationId(withTag), 3)
})

void test('trailing bytes, truncation and unknown versions are typed errors', () => {
  const body = encodeResponse(ApiKey.Metadata, 9, 1, { brokers: [], topics: [] }).subarray(4)
  assert.throws(() => decodeResponse(ApiKey.Metadata, 9, new Uint8Array([...body, 0])), ProtocolError)
  assert.throws(() => decodeResponse(ApiKey.Metadata, 9, body.subarray(0, body.length - 1)), ProtocolError)
  assert.throws(() => decodeResponse(ApiKey.Metadata, 99, body), UnsupportedError)
  assert.throws(() => decodeResponse(9999, 0, body), UnsupportedError)
  assert.throws(() => readCorrelationId(new Uint8Array(3)), ProtocolError)
})

void test('encoding rejects values of the wrong kind with ConfigError', () => {
  const h = { apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 1, clientId: 'c' } as const
  assert.throws(() => encodeRequest(h, { topics: 'x' as never }), ConfigError)
  assert.throws(() => encodeRequest(h, { topics: [{ name: 5 as never }] }), ConfigError)
  assert.throws(() => encodeRequest(h, { topics: [{ topicId: new Uint8Array(3) }] }), ConfigError)
  assert.throws(
    () => encodeRequest({ ...h, apiVersion: 9 }, { topics: [{ name: null }] }),
    ConfigError,
    'topic name is nullable only from v10',
  )
})

void test('decodeRequest reads what encodeRequest wrote (broker side for fake servers)', () => {
  const frame = encodeRequest(
    { apiKey: ApiKey.Metadata, apiVersion: 10, correlationId: 77, clientId: null },
    { topics: [{ name: 'a' }], includeTopicAuthorizedOperations: true },
  )
  const { header, body } = decodeRequest(frame.subarray(4))
  assert.deepEqual(header, { apiKey: 3, apiVersion: 10, correlationId: 77, clientId: null })
  assert.equal(body.includeTopicAuthorizedOperations, true)
})

void test('Produce v3 and v9 requests: records as int32-length bytes, then as compact bytes', () => {
  const body = {
    acks: -1,
    timeoutMs: 30000,
    topicData: [{ name: 't', partitionData: [{ index: 0, records: Uint8Array.of(0xaa, 0xbb, 0xcc) }] }],
  }
  const v3 = encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 3, correlationId: 1, clientId: 'c' }, body)
  assert.equal(
    toHex(v3),
    toHex(
      hex(`
    00000029 0000 0003 00000001 0001 63  # size 41, Produce v3, header v1
    ffff  # transactional id: null
    ffff  # acks -1
    00007530  # timeout 30000
    00000001 0001 74  # one topic "t"
    00000001 00000000  # one partition, index 0
    00000003 aabbcc  # records: int32 length + bytes`),
    ),
  )
  const v9 = encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 1, clientId: 'c' }, body)
  assert.equal(
    toHex(v9),
    toHex(
      hex(`
    00000022 0000 0009 00000001 0001 63 00  # size 34, Produce v9, header v2
    00  # transactional id: null (compact)
    ffff 00007530
    02 02 74  # one topic "t"
    02 00000000  # one partition, index 0
    04 aabbcc  # records: compact bytes (length + 1)
    00 00 00  # partition, topic and body tagged fields`),
    ),
  )
})

void test('encodeRequestParts: large record batches are referenced, not copied; same bytes as one frame', () => {
  const big = (n: number, fill: number) => new Uint8Array(n).fill(fill)
  const a = big(5000, 1)
  const b = big(100, 2) // below the reference threshold: copied into the frame
  const c = big(70_000, 3)
  for (const apiVersion of [8, 9, 11]) {
    // v8: int32 byte lengths; v9+: compact (flexible) lengths.
    const header = { apiKey: ApiKey.Produce, apiVersion, correlationId: 5, clientId: 'p' }
    const body = {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [
        {
          name: 't',
          partitionData: [
            { index: 0, records: a },
            { index: 1, records: b },
          ],
        },
        { name: 'u', partitionData: [{ index: 2, records: c }] },
      ],
    }
    const parts = encodeRequestParts(header, body)
    assert.ok(parts.includes(a) && parts.includes(c), 'large batches are the caller’s arrays')
    assert.ok(!parts.includes(b), 'a small one is copied')
    const joined = Buffer.concat(parts)
    assert.equal(toHex(joined), toHex(encodeRequest(header, body)), `v${apiVersion}`)
    assert.equal(joined.readInt32BE(0), joined.length - 4)
    // The shared writer is clean afterwards: a plain request is still one copy of its own.
    const plain = encodeRequestParts(
      { apiKey: ApiKey.ApiVersions, apiVersion: 2, correlationId: 9, clientId: null },
      {},
    )
    assert.equal(plain.length, 1)
    assert.equal(toHex(plain[0]!), toHex(hex('0000000a 0012 0002 00000009 ffff')))
  }
})

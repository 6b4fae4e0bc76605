import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProtocolError } from '../../../src/core/errors.ts'
import {
  createRequest,
  decodeCommand,
  encodeCommandBytes,
  SerializeType,
  type RemotingCommand,
} from '../../../src/rocketmq/protocol/remoting-command.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

void test('ROCKETMQ binary header golden bytes', () => {
  const cmd: RemotingCommand = { ...createRequest(10, { a: 'b' }), opaque: 7 }
  const bytes = encodeCommandBytes(cmd, SerializeType.ROCKETMQ)
  assert.equal(
    hex(bytes),
    '00000021' +
      '0100001d' +
      '000a' +
      '0d' +
      '0191' +
      '00000007' +
      '00000000' +
      '00000000' +
      '00000008' +
      '0001' +
      '61' +
      '00000001' +
      '62',
  )
})

void test('JSON header golden bytes and body placement', () => {
  const cmd: RemotingCommand = { ...createRequest(105, { topic: 't' }, new Uint8Array([1, 2])), opaque: 3 }
  const bytes = encodeCommandBytes(cmd, SerializeType.JSON)
  const json =
    '{"code":105,"language":"NODE_JS","version":401,"opaque":3,"flag":0,"extFields":{"topic":"t"},"serializeTypeCurrentRPC":"JSON"}'
  assert.equal(Buffer.from(bytes).readUInt32BE(0), 4 + json.length + 2)
  assert.equal(Buffer.from(bytes).readUInt32BE(4), json.length)
  assert.equal(Buffer.from(bytes.subarray(8, 8 + json.length)).toString(), json)
  assert.deepEqual([...bytes.subarray(8 + json.length)], [1, 2])
})

for (const type of [SerializeType.JSON, SerializeType.ROCKETMQ]) {
  void test(`round trip through serialize type ${type}`, () => {
    const cmd: RemotingCommand = {
      code: 310,
      language: 13,
      version: 401,
      opaque: 123456,
      flag: 1,
      remark: 'héllo',
      extFields: { a: 'group', b: 'tópic', i: 'KEYS\u0001k\u0002' },
      body: new Uint8Array([9, 8, 7]),
    }
    const frame = encodeCommandBytes(cmd, type)
    const decoded = decodeCommand(frame.subarray(4))
    assert.deepEqual({ ...decoded, body: [...decoded.body!] }, { ...cmd, body: [9, 8, 7] })
  })
}

void test('decodes a JSON header the way the Java server writes it (language by name, no extFields)', () => {
  const json = Buffer.from(
    '{"code":17,"extFields":null,"flag":1,"language":"JAVA","opaque":5,"remark":"topic not exist","serializeTypeCurrentRPC":"JSON","version":479}',
  )
  const frame = Buffer.alloc(4 + json.length)
  frame.writeUInt32BE(json.length, 0)
  json.copy(frame, 4)
  const cmd = decodeCommand(frame)
  assert.equal(cmd.code, 17)
  assert.equal(cmd.language, 0)
  assert.equal(cmd.remark, 'topic not exist')
  assert.deepEqual(cmd.extFields, {})
  assert.equal(cmd.body, null)
})

void test('malformed frames give ProtocolError', () => {
  const bad: [string, Uint8Array][] = [
    ['too short', new Uint8Array([1, 0])],
    ['header longer than frame', Buffer.from('01000010000a', 'hex')],
    ['unknown serialize type', Buffer.from('0500000000', 'hex')],
    ['bad JSON', Buffer.concat([Buffer.from('00000003', 'hex'), Buffer.from('{x}')])],
    [
      'extFields longer than header',
      Buffer.from('01000013' + '000a0d0191000000070000000000000000' + '7fffffff', 'hex'),
    ],
  ]
  for (const [what, frame] of bad) assert.throws(() => decodeCommand(frame), ProtocolError, what)
})

void test('fuzz: random and mutated frames never throw anything but ProtocolError', () => {
  const seed = encodeCommandBytes({
    ...createRequest(11, { consumerGroup: 'g', topic: 't', queueId: 1 }, new Uint8Array(20)),
    opaque: 9,
  }).subarray(4)
  let state = 12345
  const rand = (n: number): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff
    return state % n
  }
  for (let i = 0; i < 20000; i++) {
    let frame: Uint8Array
    if (i % 2 === 0) {
      frame = new Uint8Array(rand(64))
      for (let j = 0; j < frame.length; j++) frame[j] = rand(256)
      if (frame.length > 0) frame[0] = rand(3)
    } else {
      frame = Uint8Array.from(seed)
      for (let k = 0; k < 1 + rand(4); k++) frame[rand(frame.length)] = rand(256)
      frame = frame.subarray(0, rand(frame.length + 1))
    }
    try {
      decodeCommand(frame)
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `unexpected ${String(err)}`)
    }
  }
})

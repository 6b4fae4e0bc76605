import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, randomInt } from 'node:crypto'
import { FrameDecoder, frameWithLength } from '../../src/core/frame-decoder.ts'
import { ConfigError, ProtocolError } from '../../src/core/errors.ts'

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts)
}

function decodeAll(decoder: FrameDecoder, chunks: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const c of chunks) decoder.push(c, (f) => void out.push(Uint8Array.from(f)))
  return out
}

function splitAt(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = []
  let prev = 0
  for (const c of [...cuts].sort((a, b) => a - b)) {
    out.push(data.subarray(prev, c))
    prev = c
  }
  out.push(data.subarray(prev))
  return out
}

void test('frameWithLength prefixes the big-endian length of all parts', () => {
  assert.deepEqual([...frameWithLength(new Uint8Array([1, 2]), new Uint8Array([3]))], [0, 0, 0, 3, 1, 2, 3])
  assert.deepEqual([...frameWithLength()], [0, 0, 0, 0])
})

void test('frames packed in one chunk come out in order, as views without copying', () => {
  const frames = [randomBytes(10), new Uint8Array(0), randomBytes(1), randomBytes(300)]
  const wire = concat(frames.map((f) => frameWithLength(f)))
  const seen: Uint8Array[] = []
  new FrameDecoder(1000).push(wire, (f) => void seen.push(f))
  assert.deepEqual(
    seen.map((f) => Buffer.from(f).toString('hex')),
    frames.map((f) => Buffer.from(f).toString('hex')),
  )
  assert.equal(seen[0]!.buffer, wire.buffer, 'a frame whole in its chunk is a view of that chunk')
})

void test('every frame survives byte-by-byte delivery', () => {
  const frames = [randomBytes(7), randomBytes(0), randomBytes(5), randomBytes(64)]
  const wire = concat(frames.map((f) => frameWithLength(f)))
  const chunks = Array.from(wire, (b) => Uint8Array.of(b))
  const d = new FrameDecoder(100)
  const got = decodeAll(d, chunks)
  assert.deepEqual(
    got.map((f) => Buffer.from(f).toString('hex')),
    frames.map((f) => Buffer.from(f).toString('hex')),
  )
  assert.equal(d.bufferedBytes, 0)
})

void test('random chunkings of random frame streams decode identically (fuzz)', () => {
  for (let round = 0; round < 300; round++) {
    const frames = Array.from({ length: randomInt(1, 20) }, () =>
      randomBytes(randomInt(0, 3) === 0 ? 0 : randomInt(0, 2000)),
    )
    const wire = concat(frames.map((f) => frameWithLength(f)))
    const cuts = Array.from({ length: randomInt(0, 30) }, () => randomInt(0, wire.length + 1))
    const got = decodeAll(new FrameDecoder(2000), splitAt(wire, cuts))
    assert.equal(got.length, frames.length)
    for (let i = 0; i < frames.length; i++)
      assert.ok(Buffer.from(got[i]!).equals(frames[i]!), `round ${round} frame ${i}`)
  }
})

void test('a length over the bound is a ProtocolError before anything is allocated', () => {
  const d = new FrameDecoder(1024)
  const header = new Uint8Array([0x7f, 0xff, 0xff, 0xff])
  assert.throws(
    () => d.push(header, () => assert.fail('no frame')),
    (err: unknown) =>
      err instanceof ProtocolError &&
      err.code === 'CONDUIT_FRAME_TOO_LARGE' &&
      /2147483647/.test(err.message),
  )
  assert.equal(d.bufferedBytes, 0)
  // After a framing error the stream cannot be trusted: further input is refused.
  assert.throws(() => d.push(new Uint8Array(4), () => {}), ProtocolError)
})

void test('a negative length (high bit set) is a ProtocolError, also when the prefix is split', () => {
  const d = new FrameDecoder(1024)
  d.push(new Uint8Array([0x80, 0]), () => assert.fail('no frame'))
  assert.equal(d.bufferedBytes, 2)
  assert.throws(
    () => d.push(new Uint8Array([0, 1]), () => {}),
    (err: unknown) => err instanceof ProtocolError && err.code === 'CONDUIT_FRAME_INVALID',
  )
})

void test('exactly maxFrameBytes is accepted, one more is not', () => {
  assert.equal(decodeAll(new FrameDecoder(16), [frameWithLength(new Uint8Array(16))]).length, 1)
  assert.throws(() => decodeAll(new FrameDecoder(16), [frameWithLength(new Uint8Array(17))]), ProtocolError)
})

void test('emit returning false stops delivery for the rest of the chunk', () => {
  const wire = concat([frameWithLength(Uint8Array.of(1)), frameWithLength(Uint8Array.of(2))])
  const seen: number[] = []
  new FrameDecoder(10).push(wire, (f) => {
    seen.push(f[0]!)
    return false
  })
  assert.deepEqual(seen, [1])
})

void test('reports progress of an unfinished frame', () => {
  const d = new FrameDecoder(100)
  d.push(frameWithLength(new Uint8Array(50)).subarray(0, 20), () => assert.fail('incomplete'))
  assert.equal(d.pendingFrameBytes, 50)
  assert.equal(d.bufferedBytes, 20)
})

void test('random garbage never hangs or throws anything but ProtocolError (fuzz)', () => {
  for (let round = 0; round < 2000; round++) {
    const d = new FrameDecoder(randomInt(0, 5000))
    const garbage = randomBytes(randomInt(0, 200))
    try {
      for (const c of splitAt(garbage, [randomInt(0, garbage.length + 1)])) d.push(c, () => {})
    } catch (err) {
      assert.ok(err instanceof ProtocolError, String(err))
    }
  }
})

void test('rejects an invalid bound', () => {
  assert.throws(() => new FrameDecoder(-1), ConfigError)
  assert.throws(() => new FrameDecoder(2 ** 31), ConfigError)
})

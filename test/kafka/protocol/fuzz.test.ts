// Decoders on hostile input: random frames and mutations (bit flips, truncation, splices, huge
// lengths) of valid frames, for every response and request decoder and every version. Each must
// decode or throw ProtocolError (or, for a request header naming an unknown API, UnsupportedError) — never RangeError/TypeError, never hang, never allocate a length
// taken from the wire (a huge count must fail before allocation, which a time bound catches).

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProtocolError, UnsupportedError } from '../../../src/core/errors.ts'
import { SCHEMAS } from '../../../src/kafka/protocol/apis.ts'
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
} from '../../../src/kafka/protocol/frame.ts'
import { inVersions, parseVersions } from '../../../src/kafka/protocol/schema.ts'
import { randomBytes, rng, sampleBody, type Rng } from './samples.ts'

function mutate(frame: Uint8Array, r: Rng): Uint8Array {
  const out = new Uint8Array(frame)
  const kind = Math.floor(r() * 5)
  if (out.length === 0) return randomBytes(r, 8)
  switch (kind) {
    case 0: {
      const flips = 1 + Math.floor(r() * 4)
      for (let i = 0; i < flips; i++) out[Math.floor(r() * out.length)]! ^= 1 << Math.floor(r() * 8)
      return out
    }
    case 1:
      return out.subarray(0, Math.floor(r() * out.length))
    case 2: {
      // A length-looking field set to a huge value.
      const at = Math.floor(r() * Math.max(1, out.length - 4))
      new DataView(out.buffer).setInt32(at, 0x7ffffff0 - Math.floor(r() * 1000))
      return out
    }
    case 3: {
      const at = Math.floor(r() * out.length)
      out.fill(0xff, at, Math.min(out.length, at + 1 + Math.floor(r() * 6)))
      return out
    }
    default: {
      const extra = randomBytes(r, 1 + Math.floor(r() * 8))
      const at = Math.floor(r() * out.length)
      const joined = new Uint8Array(out.length + extra.length)
      joined.set(out.subarray(0, at))
      joined.set(extra, at)
      joined.set(out.subarray(at), at + extra.length)
      return joined
    }
  }
}

function expectTypedFailure(what: string, fn: () => unknown, alsoAllowed?: typeof UnsupportedError): void {
  try {
    fn()
  } catch (e) {
    if (!(e instanceof ProtocolError) && !(alsoAllowed && e instanceof alsoAllowed)) {
      assert.fail(`${what}: threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.stack}`)
    }
  }
}

const MUTATIONS = 150
const RANDOM = 50

for (const schema of SCHEMAS.values()) {
  const { min, max } = parseVersions(schema.versions)
  void test(`${schema.name} decoders reject random and mutated frames with ProtocolError`, () => {
    const started = performance.now()
    for (let version = min; version <= max; version++) {
      const flexible = inVersions(schema.flexible, version)
      const r = rng(0xf00d + schema.apiKey * 97 + version)
      const what = `${schema.name} v${version}`
      for (let i = 0; i < RANDOM; i++) {
        const junk = randomBytes(r, Math.floor(r() * 200))
        expectTypedFailure(`${what} random response`, () => decodeResponse(schema.apiKey, version, junk))
      }
      for (let i = 0; i < MUTATIONS; i++) {
        const res = encodeResponse(
          schema.apiKey,
          version,
          i,
          sampleBody(schema.response, version, flexible, r),
        )
        const bad = mutate(res.subarray(4), r)
        expectTypedFailure(`${what} mutated response`, () => decodeResponse(schema.apiKey, version, bad))
        const req = encodeRequest(
          { apiKey: schema.apiKey, apiVersion: version, correlationId: i, clientId: 'fuzz' },
          sampleBody(schema.request, version, flexible, r),
        )
        const badReq = mutate(req.subarray(4), r)
        // A mutated header may name an API or version nobody implements: that is UnsupportedError.
        expectTypedFailure(`${what} mutated request`, () => decodeRequest(badReq), UnsupportedError)
      }
    }
    assert.ok(
      performance.now() - started < 20_000,
      'fuzzing one API took over 20 s: a decoder is too slow or loops',
    )
  })
}

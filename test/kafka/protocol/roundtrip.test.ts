// Every API, every version this codec implements, both directions: random bodies survive
// encode -> decode, and the frame is consumed exactly.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SCHEMAS } from '../../../src/kafka/protocol/apis.ts'
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  readCorrelationId,
} from '../../../src/kafka/protocol/frame.ts'
import { inVersions, parseVersions } from '../../../src/kafka/protocol/schema.ts'
import { assertSameFields, rng, sampleBody } from './samples.ts'

const ROUNDS = 40

for (const schema of SCHEMAS.values()) {
  const { min, max } = parseVersions(schema.versions)
  void test(`${schema.name} v${min}-${max} requests and responses round-trip`, () => {
    for (let version = min; version <= max; version++) {
      const flexible = inVersions(schema.flexible, version)
      for (let round = 0; round < ROUNDS; round++) {
        const r = rng(schema.apiKey * 100_000 + version * 1000 + round)
        const correlationId = Math.floor(r() * 2 ** 31)
        const clientId = round % 5 === 0 ? null : `client-${round}`

        const req = sampleBody(schema.request, version, flexible, r)
        const reqFrame = encodeRequest(
          { apiKey: schema.apiKey, apiVersion: version, correlationId, clientId },
          req,
        )
        assert.equal(new DataView(reqFrame.buffer).getInt32(0), reqFrame.length - 4, 'size prefix')
        const decodedReq = decodeRequest(reqFrame.subarray(4))
        assert.deepEqual(decodedReq.header, {
          apiKey: schema.apiKey,
          apiVersion: version,
          correlationId,
          clientId,
        })
        assertSameFields(
          schema.request,
          version,
          flexible,
          req,
          decodedReq.body,
          `${schema.name} v${version} request.`,
        )

        const res = sampleBody(schema.response, version, flexible, r)
        const resFrame = encodeResponse(schema.apiKey, version, correlationId, res)
        assert.equal(readCorrelationId(resFrame.subarray(4)), correlationId)
        const decodedRes = decodeResponse(schema.apiKey, version, resFrame.subarray(4))
        assert.equal(decodedRes.correlationId, correlationId)
        assertSameFields(
          schema.response,
          version,
          flexible,
          res,
          decodedRes.body,
          `${schema.name} v${version} response.`,
        )
      }
    }
  })
}

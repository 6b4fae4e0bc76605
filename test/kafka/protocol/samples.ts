// Test support: random bodies for any schema version, and a comparison that looks only at the
// fields that exist in that version (absent fields decode to defaults, checked elsewhere).

import assert from 'node:assert/strict'
import { inVersions, type FieldSpec } from '../../../src/kafka/protocol/schema.ts'

export type Rng = () => number

/** Deterministic xorshift so a failing seed can be replayed. */
export function rng(seed: number): Rng {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 0x100000000
  }
}

const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1))

export function randomBytes(r: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = int(r, 0, 255)
  return b
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789-._ é€😀'

function randomString(r: Rng): string {
  const n = int(r, 0, 12)
  let s = ''
  for (let i = 0; i < n; i++) s += [...ALPHABET][int(r, 0, [...ALPHABET].length - 1)]
  return s
}

function scalar(spec: FieldSpec, r: Rng): unknown {
  switch (spec.type) {
    case 'bool':
      return r() < 0.5
    case 'int8':
      return int(r, -128, 127)
    case 'int16':
      return int(r, -32768, 32767)
    case 'uint16':
      return int(r, 0, 65535)
    case 'int32':
      return int(r, -2147483648, 2147483647)
    case 'uint32':
      return int(r, 0, 4294967295)
    case 'int64':
      return BigInt(int(r, -2147483648, 2147483647)) * BigInt(int(r, 0, 2 ** 31))
    case 'float64':
      return r() * 1e6
    case 'string':
      return randomString(r)
    case 'bytes':
    case 'records':
      return randomBytes(r, int(r, 0, 20))
    case 'uuid':
      return randomBytes(r, 16)
    default:
      throw new Error(`no sample for ${spec.type}`)
  }
}

function value(spec: FieldSpec, version: number, flexible: boolean, r: Rng, depth: number): unknown {
  if (inVersions(spec.nullable, version) && r() < 0.15) return null
  const one = (): unknown =>
    spec.type === 'struct' ? sampleBody(spec.fields ?? [], version, flexible, r, depth + 1) : scalar(spec, r)
  if (!spec.array) return one()
  const n = int(r, 0, depth > 2 ? 1 : 3)
  return Array.from({ length: n }, one)
}

export function present(spec: FieldSpec, version: number, flexible: boolean): boolean {
  return inVersions(spec.versions, version) && (spec.tag === undefined || flexible)
}

export function sampleBody(
  fields: readonly FieldSpec[],
  version: number,
  flexible: boolean,
  r: Rng,
  depth = 0,
): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (const spec of fields) {
    if (!present(spec, version, flexible)) continue
    // Tagged fields are often left out, as real senders do.
    if (spec.tag !== undefined && r() < 0.3) continue
    o[spec.name] = value(spec, version, flexible, r, depth)
  }
  return o
}

/** Asserts that `actual` holds the same values as `expected` for every field present in `version`. */
export function assertSameFields(
  fields: readonly FieldSpec[],
  version: number,
  flexible: boolean,
  expected: Record<string, unknown>,
  actual: Record<string, unknown>,
  path = '',
): void {
  for (const spec of fields) {
    if (!present(spec, version, flexible)) continue
    if (!(spec.name in expected)) continue
    const e = expected[spec.name]
    const a = actual[spec.name]
    const where = `${path}${spec.name}`
    if (spec.type !== 'struct' || e === null) {
      if (e instanceof Uint8Array) assert.deepEqual(new Uint8Array(a as Uint8Array), e, where)
      else if (Array.isArray(e) && e[0] instanceof Uint8Array) {
        assert.deepEqual(
          (a as Uint8Array[]).map((x) => new Uint8Array(x)),
          e,
          where,
        )
      } else assert.deepEqual(a, e, where)
      continue
    }
    const sub = spec.fields ?? []
    if (spec.array) {
      const ea = e as Record<string, unknown>[]
      const aa = a as Record<string, unknown>[]
      assert.equal(aa.length, ea.length, `${where}.length`)
      ea.forEach((x, i) => assertSameFields(sub, version, flexible, x, aa[i]!, `${where}[${i}].`))
    } else {
      assertSameFields(
        sub,
        version,
        flexible,
        e as Record<string, unknown>,
        a as Record<string, unknown>,
        `${where}.`,
      )
    }
  }
}

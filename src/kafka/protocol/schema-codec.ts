// Compiles a schema transcription (./schema.ts) for one version into encode/decode closures.
//
// Compilation happens once per (api, version, direction) and is cached by the caller, so the
// per-message work is a flat loop over prebuilt closures: no version checks, no string parsing,
// no per-field allocations beyond the decoded values themselves. Decoded objects are built with
// every field of the schema in the same order (absent-in-version fields get their defaults), so
// all bodies of one message type share one hidden class.
//
// Encoding writes only the fields of the chosen version and ignores the others, so a caller can
// fill both layouts where a message changed shape (`topic` and `topicId` in Fetch, `groupId` and
// `groups` in OffsetFetch) and let the negotiated version decide which one goes on the wire.

import { ConfigError, ProtocolError } from '../../core/errors.ts'
import type { Reader } from './reader.ts'
import { inVersions, type FieldSpec, type ScalarType } from './schema.ts'
import { Writer } from './writer.ts'

export interface StructCodec {
  encode(w: Writer, value: Record<string, unknown>): void
  decode(r: Reader): Record<string, unknown>
  /** A fresh object holding every field's default. */
  defaults(): Record<string, unknown>
  /** Smallest possible encoding, used to bound element counts read from the wire. */
  minSize: number
}

type Enc = (w: Writer, v: unknown) => void
type Dec = (r: Reader) => unknown

interface CompiledField {
  name: string
  present: boolean
  tag: number | undefined
  encode: Enc
  decode: Dec
  makeDefault: () => unknown
  isDefault: (v: unknown) => boolean
  minSize: number
}

function scalarDefault(spec: FieldSpec): () => unknown {
  if (spec.default !== undefined) {
    const d = spec.default
    if (spec.type === 'int64' && typeof d !== 'bigint' && d !== null) {
      const big = BigInt(d as number)
      return () => big
    }
    return () => d
  }
  switch (spec.type) {
    case 'bool':
      return () => false
    case 'int64':
      return () => 0n
    case 'string':
      return () => ''
    case 'bytes':
      return () => new Uint8Array(0)
    case 'records':
      return () => null
    case 'uuid':
      return () => new Uint8Array(16)
    default:
      return () => 0
  }
}

function isZeroBytes(v: unknown): boolean {
  if (!(v instanceof Uint8Array)) return false
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false
  return true
}

function bytesEncoder(flexible: boolean, nullable: boolean, name: string): Enc {
  return (w, v) => {
    if (v === null) {
      if (!nullable) throw new ConfigError(`field ${name} is not nullable in this version`)
      if (flexible) w.uvarint(0)
      else w.int32(-1)
      return
    }
    if (!(v instanceof Uint8Array)) throw new ConfigError(`field ${name} must be a Uint8Array`)
    if (flexible) w.compactBytes(v)
    else w.bytes(v)
  }
}

function bytesDecoder(flexible: boolean, nullable: boolean, name: string): Dec {
  return (r) => {
    const n = flexible ? r.compactLength() : r.int32Length(name)
    if (n === -1) {
      if (!nullable) throw new ProtocolError(`field ${name} is null but not nullable in this version`)
      return null
    }
    return r.raw(n, name)
  }
}

function scalarCodec(
  spec: FieldSpec,
  version: number,
  flexible: boolean,
): { encode: Enc; decode: Dec; minSize: number } {
  const name = spec.name
  const nullable = inVersions(spec.nullable, version)
  switch (spec.type) {
    case 'bool':
      return { encode: (w, v) => w.bool(v as boolean), decode: (r) => r.bool(), minSize: 1 }
    case 'int8':
      return { encode: (w, v) => w.int8(v as number), decode: (r) => r.int8(), minSize: 1 }
    case 'int16':
      return { encode: (w, v) => w.int16(v as number), decode: (r) => r.int16(), minSize: 2 }
    case 'uint16':
      return { encode: (w, v) => w.uint16(v as number), decode: (r) => r.uint16(), minSize: 2 }
    case 'int32':
      return { encode: (w, v) => w.int32(v as number), decode: (r) => r.int32(), minSize: 4 }
    case 'uint32':
      return { encode: (w, v) => w.uint32(v as number), decode: (r) => r.uint32(), minSize: 4 }
    case 'int64':
      return {
        encode: (w, v) => w.int64(typeof v === 'bigint' ? v : BigInt(v as number)),
        decode: (r) => r.int64(),
        minSize: 8,
      }
    case 'float64':
      return { encode: (w, v) => w.float64(v as number), decode: (r) => r.float64(), minSize: 8 }
    case 'uuid':
      return {
        encode: (w, v) => {
          if (!(v instanceof Uint8Array) || v.length !== 16) {
            throw new ConfigError(`field ${name} must be a 16-byte Uint8Array UUID`)
          }
          w.raw(v)
        },
        decode: (r) => r.uuid(),
        minSize: 16,
      }
    case 'string':
      return {
        encode: (w, v) => {
          if (v === null) {
            if (!nullable) throw new ConfigError(`field ${name} is not nullable in this version`)
          } else if (typeof v !== 'string') throw new ConfigError(`field ${name} must be a string`)
          if (flexible) w.compactString(v)
          else w.string(v)
        },
        decode: (r) => {
          const n = flexible ? r.compactLength() : r.stringLength()
          if (n === -1) {
            if (!nullable) throw new ProtocolError(`field ${name} is null but not nullable in this version`)
            return null
          }
          return r.utf8(n)
        },
        minSize: flexible ? 1 : 2,
      }
    case 'bytes':
    case 'records':
      return {
        encode: bytesEncoder(flexible, nullable, name),
        decode: bytesDecoder(flexible, nullable, name),
        minSize: flexible ? 1 : 4,
      }
    default:
      throw new ConfigError(`unknown field type ${String(spec.type)} for ${name}`)
  }
}

function arrayCodec(
  spec: FieldSpec,
  version: number,
  flexible: boolean,
  elem: { encode: Enc; decode: Dec; minSize: number },
): { encode: Enc; decode: Dec; minSize: number } {
  const name = spec.name
  const nullable = inVersions(spec.nullable, version)
  const elemEncode = elem.encode
  const elemDecode = elem.decode
  const elemMin = Math.max(1, elem.minSize)
  return {
    encode: (w, v) => {
      if (v === null) {
        if (!nullable) throw new ConfigError(`field ${name} is not nullable in this version`)
        if (flexible) w.uvarint(0)
        else w.int32(-1)
        return
      }
      if (!Array.isArray(v)) throw new ConfigError(`field ${name} must be an array`)
      if (flexible) w.uvarint(v.length + 1)
      else w.int32(v.length)
      for (let i = 0; i < v.length; i++) elemEncode(w, v[i])
    },
    decode: (r) => {
      const n = flexible ? r.compactLength() : r.int32Length(name)
      if (n === -1) {
        if (!nullable) throw new ProtocolError(`array ${name} is null but not nullable in this version`)
        return null
      }
      r.checkCount(n, elemMin, name)
      const out = new Array<unknown>(n)
      for (let i = 0; i < n; i++) out[i] = elemDecode(r)
      return out
    },
    minSize: flexible ? 1 : 4,
  }
}

function compileField(spec: FieldSpec, version: number, flexible: boolean): CompiledField {
  const present = inVersions(spec.versions, version) && (spec.tag === undefined || flexible)
  const tag = present && flexible ? spec.tag : undefined
  let codec: { encode: Enc; decode: Dec; minSize: number }
  let makeDefault: () => unknown
  let isDefault: (v: unknown) => boolean

  if (spec.type === 'struct') {
    const sub = compileStruct(spec.fields ?? [], version, flexible)
    const structCodec = {
      encode: (w: Writer, v: unknown) => {
        if (v === null || typeof v !== 'object') throw new ConfigError(`field ${spec.name} must be an object`)
        sub.encode(w, v as Record<string, unknown>)
      },
      decode: (r: Reader) => sub.decode(r),
      minSize: sub.minSize,
    }
    codec = spec.array ? arrayCodec(spec, version, flexible, structCodec) : structCodec
    if (spec.array) makeDefault = spec.default === null ? () => null : () => []
    else makeDefault = spec.default === null ? () => null : () => sub.defaults()
    isDefault = spec.array ? (v) => v === null || (Array.isArray(v) && v.length === 0) : (v) => v === null
  } else if (spec.array) {
    codec = arrayCodec(spec, version, flexible, scalarCodec(spec, version, flexible))
    makeDefault = spec.default === null ? () => null : () => []
    isDefault = (v) => v === null || (Array.isArray(v) && v.length === 0)
  } else {
    codec = scalarCodec(spec, version, flexible)
    makeDefault = scalarDefault(spec)
    if (spec.type === 'uuid' || spec.type === 'bytes') isDefault = (v) => v === null || isZeroBytes(v)
    else {
      const d = makeDefault()
      isDefault = (v) => v === d
    }
  }
  return {
    name: spec.name,
    present,
    tag,
    encode: codec.encode,
    decode: codec.decode,
    makeDefault,
    isDefault,
    minSize: present && tag === undefined ? codec.minSize : 0,
  }
}

/** Compiles a struct (or a whole request/response body) for one version. */
export function compileStruct(specs: readonly FieldSpec[], version: number, flexible: boolean): StructCodec {
  const all = specs.map((s) => compileField(s, version, flexible))
  const names = all.map((c) => c.name)
  const defaults = all.map((c) => c.makeDefault)
  const regular = all.filter((c) => c.present && c.tag === undefined)
  const tagged = all.filter((c) => c.present && c.tag !== undefined).sort((a, b) => a.tag! - b.tag!)
  const byTag = new Map(tagged.map((c) => [c.tag!, c]))
  // Per-field positions let decode fill a fully-shaped object in schema order.
  const decoders: (Dec | null)[] = all.map((c) => (c.present && c.tag === undefined ? c.decode : null))
  const count = all.length

  const defaultsOf = (): Record<string, unknown> => {
    const o: Record<string, unknown> = {}
    for (let i = 0; i < count; i++) o[names[i]!] = defaults[i]!()
    return o
  }

  const encode = (w: Writer, value: Record<string, unknown>): void => {
    for (let i = 0; i < regular.length; i++) {
      const c = regular[i]!
      let v = value[c.name]
      if (v === undefined) v = c.makeDefault()
      c.encode(w, v)
    }
    if (!flexible) return
    let n = 0
    for (let i = 0; i < tagged.length; i++) {
      const v = value[tagged[i]!.name]
      if (v !== undefined && !tagged[i]!.isDefault(v)) n++
    }
    w.uvarint(n)
    if (n === 0) return
    for (let i = 0; i < tagged.length; i++) {
      const c = tagged[i]!
      const v = value[c.name]
      if (v === undefined || c.isDefault(v)) continue
      const scratch = new Writer(64)
      c.encode(scratch, v)
      w.uvarint(c.tag!)
      w.uvarint(scratch.offset)
      w.raw(scratch.buf.subarray(0, scratch.offset))
    }
  }

  const decode = (r: Reader): Record<string, unknown> => {
    const o: Record<string, unknown> = {}
    for (let i = 0; i < count; i++) {
      const d = decoders[i]
      o[names[i]!] = d === null ? defaults[i]!() : d(r)
    }
    if (!flexible) return o
    const n = r.uvarint()
    r.checkCount(n, 2, 'tagged fields')
    for (let i = 0; i < n; i++) {
      const tag = r.uvarint()
      const size = r.uvarint()
      const start = r.need(size, 'tagged field')
      const field = byTag.get(tag)
      if (field === undefined) {
        // A tag from a newer schema than ours: skipping it is what the spec asks of readers.
        r.offset = start + size
        continue
      }
      const end = r.end
      r.end = start + size
      try {
        o[field.name] = field.decode(r)
        if (r.offset !== r.end) {
          throw new ProtocolError(
            `tagged field ${field.name} (tag ${tag}) has ${r.end - r.offset} trailing bytes`,
          )
        }
      } finally {
        r.end = end
      }
    }
    return o
  }

  let minSize = flexible ? 1 : 0
  for (const c of regular) minSize += c.minSize
  return { encode, decode, defaults: defaultsOf, minSize }
}

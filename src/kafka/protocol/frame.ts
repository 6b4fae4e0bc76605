// Whole Kafka frames: size prefix, request/response header, body.
//
// Header versions are not negotiated separately: a request uses header v2 (with a tagged-field
// section) exactly when its API version is flexible, otherwise v1; a response uses header v1
// when flexible, otherwise v0 — except ApiVersions, whose response header is always v0 so that a
// client can read the answer to a version the broker does not serve.
//
// encodeRequest/decodeResponse are the client's side. decodeRequest/encodeResponse are the
// broker's side, used by tests and fake servers for error paths a real broker cannot produce.

import { ConduitError, ProtocolError, UnsupportedError } from '../../core/errors.ts'
import { ApiKey, apiName } from './api-keys.ts'
import { SCHEMAS, type RequestOf, type ResponseInputOf, type ResponseOf } from './apis.ts'
import { Reader } from './reader.ts'
import { inVersions, type ApiSchema } from './schema.ts'
import { compileStruct, type StructCodec } from './schema-codec.ts'
import { Writer } from './writer.ts'

export interface RequestHeader {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
}

interface VersionCodec {
  name: string
  flexible: boolean
  request: StructCodec
  response: StructCodec
}

const codecs = new Map<number, VersionCodec>()

function codecFor(apiKey: number, apiVersion: number): VersionCodec {
  const id = apiKey * 1024 + apiVersion
  let c = codecs.get(id)
  if (c !== undefined) return c
  const schema: ApiSchema | undefined = SCHEMAS.get(apiKey)
  if (schema === undefined)
    throw new UnsupportedError(`Kafka ${apiName(apiKey)} is not supported by this client (no schema for it)`)
  if (!Number.isInteger(apiVersion) || !inVersions(schema.versions, apiVersion)) {
    throw new UnsupportedError(
      `Kafka ${schema.name} v${apiVersion} is outside the versions this client speaks (${schema.versions})`,
    )
  }
  const flexible = inVersions(schema.flexible, apiVersion)
  c = {
    name: `${schema.name} v${apiVersion}`,
    flexible,
    request: compileStruct(schema.request, apiVersion, flexible),
    response: compileStruct(schema.response, apiVersion, flexible),
  }
  codecs.set(id, c)
  return c
}

// One writer for every request: encoding is synchronous, so it is never shared by two encodes.
const SHRINK_ABOVE = 8 * 1024 * 1024
let writer = new Writer(64 * 1024)

function takeFrame(w: Writer): Uint8Array {
  w.int32At(0, w.offset - 4)
  const out = w.finish()
  // A single huge request should not pin its buffer for the life of the process.
  if (w.buf.length > SHRINK_ABOVE) writer = new Writer(64 * 1024)
  return out
}

function takeFrameParts(w: Writer): Uint8Array[] {
  w.int32At(0, w.length - 4)
  const out = w.finishParts()
  if (w.buf.length > SHRINK_ABOVE) writer = new Writer(64 * 1024)
  return out
}

function wrapEncodeError(what: string, e: unknown): never {
  if (e instanceof ConduitError) throw e
  throw new ProtocolError(`cannot encode ${what}: ${(e as Error).message}`, {
    cause: e,
    code: 'CONDUIT_ENCODE',
  })
}

/** The whole request frame, 4-byte size prefix included. */
export function encodeRequest<K extends number>(
  header: RequestHeader & { apiKey: K },
  body: RequestOf<K>,
): Uint8Array {
  const c = codecFor(header.apiKey, header.apiVersion)
  const w = writer.reset()
  try {
    writeRequestHeader(w, header, c.flexible)
    c.request.encode(w, body as Record<string, unknown>)
  } catch (e) {
    wrapEncodeError(`${c.name} request`, e)
  }
  return takeFrame(w)
}

/**
 * encodeRequest as parts to write in order (one writev): large byte fields — the record batches
 * of a Produce request — are the caller's own arrays, not copies, so they must not change until
 * the parts are written.
 */
export function encodeRequestParts<K extends number>(
  header: RequestHeader & { apiKey: K },
  body: RequestOf<K>,
): Uint8Array[] {
  const c = codecFor(header.apiKey, header.apiVersion)
  const w = writer.reset(true)
  try {
    writeRequestHeader(w, header, c.flexible)
    c.request.encode(w, body as Record<string, unknown>)
  } catch (e) {
    w.reset()
    wrapEncodeError(`${c.name} request`, e)
  }
  return takeFrameParts(w)
}

function writeRequestHeader(w: Writer, header: RequestHeader, flexible: boolean): void {
  w.int32(0)
  w.int16(header.apiKey)
  w.int16(header.apiVersion)
  w.int32(header.correlationId)
  w.string(header.clientId)
  if (flexible) w.uvarint(0)
}

/** The correlation id of a response frame (the bytes after the size prefix). */
export function readCorrelationId(frame: Uint8Array): number {
  if (frame.length < 4)
    throw new ProtocolError(`response frame of ${frame.length} bytes has no correlation id`)
  return new DataView(frame.buffer, frame.byteOffset, 4).getInt32(0)
}

function skipTaggedFields(r: Reader): void {
  const n = r.uvarint()
  r.checkCount(n, 2, 'header tagged fields')
  for (let i = 0; i < n; i++) {
    r.uvarint()
    const size = r.uvarint()
    r.raw(size, 'header tagged field')
  }
}

function finishDecode(r: Reader, what: string): void {
  if (r.remaining !== 0) throw new ProtocolError(`${what} has ${r.remaining} unexpected trailing bytes`)
}

function withContext<T>(what: string, fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    if (e instanceof ProtocolError) throw new ProtocolError(`${what}: ${e.message}`, { cause: e })
    throw e
  }
}

const UNSUPPORTED_VERSION = 35

/** Decodes a response frame (the bytes after the size prefix) of the given API and version. */
export function decodeResponse<K extends number>(
  apiKey: K,
  apiVersion: number,
  frame: Uint8Array,
): { correlationId: number; body: ResponseOf<K> } {
  let c = codecFor(apiKey, apiVersion)
  return withContext(`${c.name} response`, () => {
    const r = new Reader(frame)
    const correlationId = r.int32()
    if (apiKey === ApiKey.ApiVersions) {
      // A broker that does not serve the requested ApiVersions version answers in v0 with
      // UNSUPPORTED_VERSION and its own version list, so the client can pick again.
      if (apiVersion > 0 && r.remaining >= 2 && r.view.getInt16(r.offset) === UNSUPPORTED_VERSION) {
        c = codecFor(apiKey, 0)
      }
    } else if (c.flexible) skipTaggedFields(r)
    const body = c.response.decode(r)
    finishDecode(r, `${c.name} response`)
    return { correlationId, body: body as ResponseOf<K> }
  })
}

/** Broker side: decodes a request frame (after the size prefix). */
export function decodeRequest(frame: Uint8Array): { header: RequestHeader; body: Record<string, unknown> } {
  return withContext('request', () => {
    const r = new Reader(frame)
    const apiKey = r.int16()
    const apiVersion = r.int16()
    const correlationId = r.int32()
    const n = r.stringLength()
    const clientId = n === -1 ? null : r.utf8(n)
    const c = codecFor(apiKey, apiVersion)
    if (c.flexible) skipTaggedFields(r)
    const body = c.request.decode(r)
    finishDecode(r, `${c.name} request`)
    return { header: { apiKey, apiVersion, correlationId, clientId }, body }
  })
}

/** Broker side: the whole response frame, size prefix included. */
export function encodeResponse<K extends number>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseInputOf<K>,
): Uint8Array {
  const c = codecFor(apiKey, apiVersion)
  const w = writer.reset()
  try {
    w.int32(0)
    w.int32(correlationId)
    if (c.flexible && apiKey !== ApiKey.ApiVersions) w.uvarint(0)
    c.response.encode(w, body as Record<string, unknown>)
  } catch (e) {
    wrapEncodeError(`${c.name} response`, e)
  }
  return takeFrame(w)
}

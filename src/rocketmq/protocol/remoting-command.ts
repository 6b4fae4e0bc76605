// One remoting command: the unit of every request, response and oneway message between client,
// name server and broker (RemotingCommand.java / RocketMQSerializable.java).
//
//   frame  = int32 length            (not counting itself; the framed socket strips it)
//            int32 serializeType<<24 | headerLength
//            header                  (JSON or ROCKETMQ binary, below)
//            body                    (the rest)
//   JSON header     = {"code","language":"JAVA","version","opaque","flag","remark","extFields":{…}}
//   ROCKETMQ header = int16 code, int8 language, int16 version, int32 opaque, int32 flag,
//                     int32 remarkLen, remark, int32 extFieldsLen,
//                     { int16 keyLen, key, int32 valueLen, value }*
//   flag bit 0 = response, bit 1 = oneway. Responses echo the request's opaque.

import { ProtocolError } from '../../core/errors.ts'
import { ByteReader } from './byte-reader.ts'
import { CLIENT_VERSION, LanguageCode, languageCodeOf, languageName } from './codes.ts'

export const SerializeType = { JSON: 0, ROCKETMQ: 1 } as const
export type SerializeType = (typeof SerializeType)[keyof typeof SerializeType]

export const CommandFlag = { RESPONSE: 1, ONEWAY: 2 } as const

export interface RemotingCommand {
  code: number
  language: number
  version: number
  opaque: number
  flag: number
  remark: string | null
  extFields: Record<string, string>
  body: Uint8Array | null
}

export function isResponse(cmd: RemotingCommand): boolean {
  return (cmd.flag & CommandFlag.RESPONSE) !== 0
}

export function isOneway(cmd: RemotingCommand): boolean {
  return (cmd.flag & CommandFlag.ONEWAY) !== 0
}

/** A request with this client's language and version; opaque is set by the connection. */
export function createRequest(
  code: number,
  extFields: Record<string, string | number | boolean | undefined | null> = {},
  body: Uint8Array | null = null,
): RemotingCommand {
  return {
    code,
    language: LanguageCode.NODE_JS,
    version: CLIENT_VERSION,
    opaque: 0,
    flag: 0,
    remark: null,
    extFields: stringFields(extFields),
    body,
  }
}

/** A response to a request the broker sent to this client. */
export function createResponse(
  request: RemotingCommand,
  code: number,
  remark: string | null = null,
  body: Uint8Array | null = null,
  extFields: Record<string, string> = {},
): RemotingCommand {
  return {
    code,
    language: LanguageCode.NODE_JS,
    version: CLIENT_VERSION,
    opaque: request.opaque,
    flag: CommandFlag.RESPONSE,
    remark,
    extFields,
    body,
  }
}

/** Header fields travel as strings; undefined and null fields are left out, as Java does. */
export function stringFields(
  fields: Record<string, string | number | boolean | undefined | null>,
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) out[k] = String(v)
  return out
}

const encoder = new TextEncoder()
/** The header length field has 24 bits. */
const MAX_HEADER_BYTES = 0xffffff

function encodeJsonHeader(cmd: RemotingCommand): Uint8Array {
  const header: Record<string, unknown> = {
    code: cmd.code,
    language: languageName(cmd.language),
    version: cmd.version,
    opaque: cmd.opaque,
    flag: cmd.flag,
    extFields: cmd.extFields,
    serializeTypeCurrentRPC: 'JSON',
  }
  if (cmd.remark !== null) header.remark = cmd.remark
  return encoder.encode(JSON.stringify(header))
}

function encodeBinaryHeader(cmd: RemotingCommand): Uint8Array {
  const remark = cmd.remark === null ? null : encoder.encode(cmd.remark)
  const fields: [Uint8Array, Uint8Array][] = []
  let fieldsLength = 0
  for (const [k, v] of Object.entries(cmd.extFields)) {
    const kb = encoder.encode(k)
    const vb = encoder.encode(v)
    if (kb.length > 0x7fff) throw new ProtocolError(`header field name "${k.slice(0, 40)}…" is too long`)
    fields.push([kb, vb])
    fieldsLength += 2 + kb.length + 4 + vb.length
  }
  const size = 2 + 1 + 2 + 4 + 4 + 4 + (remark?.length ?? 0) + 4 + fieldsLength
  const out = Buffer.allocUnsafe(size)
  let at = out.writeInt16BE(cmd.code, 0)
  at = out.writeInt8(cmd.language, at)
  at = out.writeInt16BE(cmd.version, at)
  at = out.writeInt32BE(cmd.opaque, at)
  at = out.writeInt32BE(cmd.flag, at)
  at = out.writeInt32BE(remark?.length ?? 0, at)
  if (remark) {
    out.set(remark, at)
    at += remark.length
  }
  at = out.writeInt32BE(fieldsLength, at)
  for (const [kb, vb] of fields) {
    at = out.writeInt16BE(kb.length, at)
    out.set(kb, at)
    at += kb.length
    at = out.writeInt32BE(vb.length, at)
    out.set(vb, at)
    at += vb.length
  }
  return out
}

/**
 * The whole frame including its 4-byte length prefix, as one header chunk and the body, so a
 * large body is written without being copied.
 */
export function encodeCommand(
  cmd: RemotingCommand,
  serializeType: SerializeType = SerializeType.ROCKETMQ,
): Uint8Array[] {
  const header = serializeType === SerializeType.JSON ? encodeJsonHeader(cmd) : encodeBinaryHeader(cmd)
  if (header.length > MAX_HEADER_BYTES)
    throw new ProtocolError(`command header of ${header.length} bytes is too large`)
  const bodyLength = cmd.body?.length ?? 0
  const prefix = Buffer.allocUnsafe(8 + header.length)
  prefix.writeInt32BE(4 + header.length + bodyLength, 0)
  prefix.writeInt32BE(((serializeType << 24) | header.length) >>> 0, 4)
  prefix.set(header, 8)
  return cmd.body && bodyLength > 0 ? [prefix, cmd.body] : [prefix]
}

/** The frame as one contiguous buffer (tests, small frames). */
export function encodeCommandBytes(cmd: RemotingCommand, serializeType?: SerializeType): Uint8Array {
  return Buffer.concat(encodeCommand(cmd, serializeType))
}

function asInt(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value
  throw new ProtocolError(`remoting command JSON header: "${field}" must be an integer`)
}

function decodeJsonHeader(bytes: Uint8Array): Omit<RemotingCommand, 'body'> {
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes))
  } catch (cause) {
    throw new ProtocolError('remoting command JSON header is not valid JSON', { cause })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ProtocolError('remoting command JSON header is not an object')
  }
  const h = parsed as Record<string, unknown>
  const extFields: Record<string, string> = {}
  if (h.extFields !== undefined && h.extFields !== null) {
    if (typeof h.extFields !== 'object' || Array.isArray(h.extFields)) {
      throw new ProtocolError('remoting command JSON header: "extFields" must be an object')
    }
    for (const [k, v] of Object.entries(h.extFields as Record<string, unknown>)) {
      if (v !== null && v !== undefined) extFields[k] = typeof v === 'string' ? v : JSON.stringify(v)
    }
  }
  const language =
    typeof h.language === 'string'
      ? languageCodeOf(h.language)
      : h.language === undefined
        ? 0
        : asInt(h.language, 'language')
  return {
    code: asInt(h.code, 'code'),
    language,
    version: h.version === undefined ? 0 : asInt(h.version, 'version'),
    opaque: asInt(h.opaque, 'opaque'),
    flag: h.flag === undefined ? 0 : asInt(h.flag, 'flag'),
    remark: typeof h.remark === 'string' ? h.remark : null,
    extFields,
  }
}

function decodeBinaryHeader(frame: Uint8Array, start: number, end: number): Omit<RemotingCommand, 'body'> {
  const r = new ByteReader(frame, 'remoting command ROCKETMQ header', start, end)
  const code = r.i16('code')
  const language = r.u8('language')
  const version = r.i16('version')
  const opaque = r.i32('opaque')
  const flag = r.i32('flag')
  const remarkLength = r.i32('remark length')
  const remark = remarkLength === 0 ? null : r.utf8(remarkLength, 'remark')
  const fieldsLength = r.i32('extFields length')
  const extFields: Record<string, string> = {}
  if (fieldsLength > 0) {
    if (fieldsLength > r.remaining) {
      throw new ProtocolError(`remoting command extFields length ${fieldsLength} exceeds the header`)
    }
    const fields = new ByteReader(frame, 'remoting command extFields', r.offset, r.offset + fieldsLength)
    r.advance(fieldsLength, 'extFields')
    while (fields.remaining > 0) {
      const key = fields.utf8(fields.i16('extField name length'), 'extField name')
      extFields[key] = fields.utf8(fields.i32('extField value length'), `extField ${key}`)
    }
  } else if (fieldsLength < 0) {
    throw new ProtocolError(`remoting command extFields length ${fieldsLength} is negative`)
  }
  if (r.remaining !== 0) throw new ProtocolError(`remoting command header has ${r.remaining} trailing bytes`)
  return { code, language, version, opaque, flag, remark, extFields }
}

/**
 * Decodes one frame given without its 4-byte length prefix (what the framed socket hands out).
 * The body is a view into `frame`, not a copy.
 */
export function decodeCommand(frame: Uint8Array): RemotingCommand {
  if (frame.length < 4)
    throw new ProtocolError(`remoting frame of ${frame.length} bytes is shorter than its header length field`)
  const mark = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0)
  const serializeType = mark >>> 24
  const headerLength = mark & 0xffffff
  if (headerLength > frame.length - 4) {
    throw new ProtocolError(
      `remoting header length ${headerLength} exceeds the frame of ${frame.length} bytes`,
    )
  }
  const headerEnd = 4 + headerLength
  let header: Omit<RemotingCommand, 'body'>
  if (serializeType === SerializeType.JSON) header = decodeJsonHeader(frame.subarray(4, headerEnd))
  else if (serializeType === SerializeType.ROCKETMQ) header = decodeBinaryHeader(frame, 4, headerEnd)
  else throw new ProtocolError(`unknown remoting serialize type ${serializeType}`)
  const body = headerEnd < frame.length ? frame.subarray(headerEnd) : null
  return { ...header, body }
}

// Kafka UUIDs (topic ids) travel as 16 raw bytes; these convert them to and from the
// canonical 8-4-4-4-12 hex form used in logs and tools.

import { ConfigError } from '../../core/errors.ts'

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function uuidToString(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new ConfigError(`a UUID has 16 bytes, got ${bytes.length}`)
  let s = ''
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-'
    s += HEX[bytes[i]!]
  }
  return s
}

export function uuidFromString(text: string): Uint8Array {
  const hex = text.replace(/-/g, '')
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new ConfigError(`not a UUID: ${JSON.stringify(text)}`)
  const out = new Uint8Array(16)
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** The all-zero UUID Kafka uses for "no topic id". */
export const ZERO_UUID: Uint8Array = new Uint8Array(16)

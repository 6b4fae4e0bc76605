// The name server and broker write JSON with fastjson, which prints maps with integer keys
// without quotes — TopicRouteData's `brokerAddrs` comes out as `{0:"127.0.0.1:10911"}`. JSON.parse
// rejects that, so bare numeric keys are quoted first (outside string literals only).

import { ProtocolError } from '../../core/errors.ts'
import { utf8 } from '../../core/message.ts'

/** Quotes object keys that are bare integers: `{0:"a",-1:"b"}` → `{"0":"a","-1":"b"}`. */
export function quoteNumericKeys(text: string): string {
  let out = ''
  let inString = false
  let copiedUpTo = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c /* \ */) i++
      else if (c === 0x22 /* " */) inString = false
      continue
    }
    if (c === 0x22) {
      inString = true
      continue
    }
    if (c !== 0x7b /* { */ && c !== 0x2c /* , */) continue
    let j = i + 1
    while (j < text.length && /\s/.test(text[j]!)) j++
    const start = j
    if (text[j] === '-') j++
    while (j < text.length && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++
    if (j === start || (j === start + 1 && text[start] === '-')) continue
    let k = j
    while (k < text.length && /\s/.test(text[k]!)) k++
    if (text[k] !== ':') continue
    out += text.slice(copiedUpTo, start) + '"' + text.slice(start, j) + '"'
    copiedUpTo = j
    i = j - 1
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo)
}

/** Parses a JSON body written by the Java side; malformed text is a ProtocolError. */
export function parseJavaJson<T>(body: Uint8Array | string | null, what: string): T {
  if (body === null) throw new ProtocolError(`${what}: the response has no body`)
  const text = typeof body === 'string' ? body : utf8(body)
  try {
    return JSON.parse(quoteNumericKeys(text)) as T
  } catch (cause) {
    throw new ProtocolError(`${what}: the body is not valid JSON`, { cause })
  }
}

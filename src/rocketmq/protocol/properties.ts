// Message properties travel as one string: `name \x01 value \x02` repeated
// (MessageDecoder.messageProperties2String). Names the broker and the Java client give meaning
// to are listed in MessageConst.java; the ones this client reads or writes are below.

import { ProtocolError } from '../../core/errors.ts'

export const Property = {
  KEYS: 'KEYS',
  TAGS: 'TAGS',
  WAIT_STORE_MSG_OK: 'WAIT',
  DELAY_TIME_LEVEL: 'DELAY',
  RETRY_TOPIC: 'RETRY_TOPIC',
  REAL_TOPIC: 'REAL_TOPIC',
  REAL_QUEUE_ID: 'REAL_QID',
  TRANSACTION_PREPARED: 'TRAN_MSG',
  PRODUCER_GROUP: 'PGROUP',
  MIN_OFFSET: 'MIN_OFFSET',
  MAX_OFFSET: 'MAX_OFFSET',
  ORIGIN_MESSAGE_ID: 'ORIGIN_MESSAGE_ID',
  RECONSUME_TIME: 'RECONSUME_TIME',
  UNIQ_CLIENT_MESSAGE_ID_KEYIDX: 'UNIQ_KEY',
  MAX_RECONSUME_TIMES: 'MAX_RECONSUME_TIMES',
  CONSUME_START_TIMESTAMP: 'CONSUME_START_TIME',
  TRANSACTION_ID: '__transactionId__',
  TRANSACTION_CHECK_TIMES: 'TRANSACTION_CHECK_TIMES',
  CORRELATION_ID: 'CORRELATION_ID',
  MESSAGE_REPLY_TO_CLIENT: 'REPLY_TO_CLIENT',
  MESSAGE_TTL: 'TTL',
  CLUSTER: 'CLUSTER',
  MESSAGE_TYPE: 'MSG_TYPE',
  SHARDING_KEY: '__SHARDINGKEY',
  TIMER_DELAY_SEC: 'TIMER_DELAY_SEC',
  TIMER_DELIVER_MS: 'TIMER_DELIVER_MS',
  DLQ_ORIGIN_TOPIC: 'DLQ_ORIGIN_TOPIC',
  DLQ_ORIGIN_MESSAGE_ID: 'DLQ_ORIGIN_MESSAGE_ID',
} as const

/** The separators inside the properties string; a name or value holding one would corrupt it. */
const NAME_VALUE_SEPARATOR = '\u0001'
const PROPERTY_SEPARATOR = '\u0002'

/** Properties with a reserved meaning that user headers must not set (the broker acts on them). */
export const SYSTEM_PROPERTY_NAMES: ReadonlySet<string> = new Set(Object.values(Property))

export function encodeProperties(properties: Readonly<Record<string, string>>): string {
  let out = ''
  for (const [name, value] of Object.entries(properties)) {
    if (
      name.includes(NAME_VALUE_SEPARATOR) ||
      name.includes(PROPERTY_SEPARATOR) ||
      value.includes(NAME_VALUE_SEPARATOR) ||
      value.includes(PROPERTY_SEPARATOR)
    ) {
      throw new ProtocolError(`message property "${name}" contains a \\u0001 or \\u0002 separator character`)
    }
    out += name + NAME_VALUE_SEPARATOR + value + PROPERTY_SEPARATOR
  }
  return out
}

/** Tolerates a missing trailing separator and skips entries without a name/value separator, as Java does. */
export function decodeProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  if (text.length === 0) return out
  for (const entry of text.split(PROPERTY_SEPARATOR)) {
    const at = entry.indexOf(NAME_VALUE_SEPARATOR)
    if (at <= 0) continue
    out[entry.slice(0, at)] = entry.slice(at + 1)
  }
  return out
}

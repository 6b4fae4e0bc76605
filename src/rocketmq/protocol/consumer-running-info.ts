// ConsumerRunningInfo, the body of a GET_CONSUMER_RUNNING_INFO answer: what one consumer reports
// about itself (properties, subscriptions, and the queues it currently holds with their state).
// The broker relays the request to the client named in the header and relays the answer back, so
// an admin learns real assignments instead of recomputing them.
//
// Java writes `mqTable` with fastjson as a map keyed by MessageQueue *objects*:
//   {"mqTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"commitOffset":5,…},…},…}
// That is not JSON. The encoder writes the same shape (so the Java admin tools can read a Conduit
// member), and the decoder turns object keys into string keys before JSON.parse.

import { ProtocolError } from '../../core/errors.ts'
import { utf8 } from '../../core/message.ts'
import type { SubscriptionData } from './heartbeat.ts'
import { quoteNumericKeys } from './java-json.ts'
import type { MessageQueue } from './route.ts'

/** The ProcessQueueInfo fields Conduit reports (others default on the reading side). */
export interface ProcessQueueInfo {
  commitOffset: number
  cachedMsgCount: number
  cachedMsgSizeInMiB: number
  locked: boolean
  lastLockTimestamp: number
  droped: boolean
}

export interface ConsumerRunningInfo {
  properties: Record<string, string>
  subscriptionSet: SubscriptionData[]
  queues: { queue: MessageQueue; info: ProcessQueueInfo }[]
}

/** Bodies above this are refused before parsing (a member holds at most a few thousand queues). */
const MAX_BODY_BYTES = 8 * 1024 * 1024

export function encodeConsumerRunningInfo(info: ConsumerRunningInfo): Uint8Array {
  const table = info.queues
    .map(
      ({ queue, info: pq }) =>
        // fastjson orders MessageQueue's fields alphabetically.
        JSON.stringify({ brokerName: queue.brokerName, queueId: queue.queueId, topic: queue.topic }) +
        ':' +
        JSON.stringify(pq),
    )
    .join(',')
  const head = JSON.stringify({ properties: info.properties, subscriptionSet: info.subscriptionSet })
  return new TextEncoder().encode(`${head.slice(0, -1)},"mqTable":{${table}},"statusTable":{}}`)
}

export function decodeConsumerRunningInfo(body: Uint8Array | null): ConsumerRunningInfo {
  if (body === null) throw new ProtocolError('consumer running info: the response has no body')
  if (body.length > MAX_BODY_BYTES)
    throw new ProtocolError(`consumer running info: body of ${body.length} bytes is over ${MAX_BODY_BYTES}`)
  let raw: { properties?: unknown; subscriptionSet?: unknown; mqTable?: unknown }
  try {
    raw = JSON.parse(quoteNumericKeys(quoteObjectKeys(utf8(body)))) as typeof raw
  } catch (cause) {
    throw new ProtocolError('consumer running info: the body is not valid JSON', { cause })
  }
  if (typeof raw !== 'object' || raw === null) throw new ProtocolError('consumer running info: not an object')
  const queues: ConsumerRunningInfo['queues'] = []
  const table = raw.mqTable ?? {}
  if (typeof table !== 'object' || table === null || Array.isArray(table))
    throw new ProtocolError('consumer running info: mqTable is not a map')
  for (const [key, value] of Object.entries(table)) {
    let mq: Partial<MessageQueue>
    try {
      mq = JSON.parse(key) as Partial<MessageQueue>
    } catch (cause) {
      throw new ProtocolError(`consumer running info: mqTable key ${key.slice(0, 80)} is not a queue`, {
        cause,
      })
    }
    if (
      typeof mq !== 'object' ||
      mq === null ||
      typeof mq.topic !== 'string' ||
      typeof mq.brokerName !== 'string' ||
      !Number.isSafeInteger(mq.queueId)
    )
      throw new ProtocolError(`consumer running info: mqTable key ${key.slice(0, 80)} is not a queue`)
    const v = (typeof value === 'object' && value !== null ? value : {}) as Partial<ProcessQueueInfo>
    queues.push({
      queue: { topic: mq.topic, brokerName: mq.brokerName, queueId: mq.queueId! },
      info: {
        commitOffset: Number(v.commitOffset ?? -1),
        cachedMsgCount: Number(v.cachedMsgCount ?? 0),
        cachedMsgSizeInMiB: Number(v.cachedMsgSizeInMiB ?? 0),
        locked: v.locked === true,
        lastLockTimestamp: Number(v.lastLockTimestamp ?? 0),
        droped: v.droped === true,
      },
    })
  }
  const props = raw.properties
  const properties: Record<string, string> = {}
  if (typeof props === 'object' && props !== null)
    for (const [k, v] of Object.entries(props)) properties[k] = String(v)
  return {
    properties,
    subscriptionSet: Array.isArray(raw.subscriptionSet) ? (raw.subscriptionSet as SubscriptionData[]) : [],
    queues,
  }
}

/**
 * Rewrites object keys (`{{…}:v}`) as JSON string keys (`{"{…}":v}`). Tracks whether each open
 * container is an object awaiting a key, so objects inside arrays or values are left alone.
 * Linear in the text; unbalanced input is left for JSON.parse to reject.
 */
export function quoteObjectKeys(text: string): string {
  // For each open container: 'a' array, 'k' object expecting a key, 'v' object past its key.
  const stack: ('a' | 'k' | 'v')[] = []
  let out = ''
  let copiedUpTo = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '"') {
      i = endOfString(text, i)
      if (stack.at(-1) === 'k') stack[stack.length - 1] = 'v'
      continue
    }
    if (c === '{' && stack.at(-1) === 'k') {
      const end = endOfObject(text, i)
      if (end < 0) return text
      out += text.slice(copiedUpTo, i) + JSON.stringify(text.slice(i, end + 1))
      copiedUpTo = end + 1
      i = end
      stack[stack.length - 1] = 'v'
      continue
    }
    if (c === '{') stack.push('k')
    else if (c === '[') stack.push('a')
    else if (c === '}' || c === ']') stack.pop()
    else if (c === ',' && stack.at(-1) === 'v') stack[stack.length - 1] = 'k'
    else if (stack.at(-1) === 'k' && /[-0-9]/.test(c)) stack[stack.length - 1] = 'v' // bare numeric key
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo)
}

/** Index of the closing quote of the string starting at `start` (or the text's end). */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++
    else if (text[i] === '"') return i
  }
  return text.length
}

/** Index of the `}` closing the object starting at `start`, or -1. */
function endOfObject(text: string, start: number): number {
  let depth = 0
  for (let i = start; i < text.length; i++) {
    const c = text[i]
    if (c === '"') i = endOfString(text, i)
    else if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') {
      depth--
      if (depth === 0) return i
    }
  }
  return -1
}

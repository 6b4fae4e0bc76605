// Ad-hoc produce (Stargate.produce/2): given a producer endpoint URL
// `ws[s]://host:port/ws/v2/producer/{persistence}/{tenant}/{namespace}/{topic}[?params]`, open a
// producer, send one or many messages, wait for every receipt, close. Query parameters of the URL
// (compressionType, batchingEnabled, …) are passed to the server as they are.

import { ConfigError } from '../core/errors.ts'
import type { Persistence, TopicAddress } from './endpoint.ts'
import { PulsarWsProducer } from './producer.ts'
import type { WsMessageInput, WsSendReceipt } from './producer.ts'
import type { SocketOptions } from './socket.ts'
import { redactUrl } from '../core/redact-url.ts'

export interface ProduceOptions extends SocketOptions {
  sendTimeoutMs?: number
  maxTextFrameSize?: number
}

/** The topic a producer endpoint URL names. */
export function parseProducerUrl(url: string): TopicAddress {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new ConfigError(`"${redactUrl(url)}" is not a valid URL`)
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:')
    throw new ConfigError(`"${redactUrl(url)}" is not a ws:// or wss:// URL`)
  const m = /\/ws\/v2\/producer\/(persistent|non-persistent)\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(u.pathname)
  if (!m) {
    throw new ConfigError(
      `"${redactUrl(url)}" is not a producer endpoint; expected ws://host:port/ws/v2/producer/persistent/{tenant}/{namespace}/{topic}`,
    )
  }
  return {
    persistence: m[1] as Persistence,
    tenant: decodeURIComponent(m[2]!),
    namespace: decodeURIComponent(m[3]!),
    topic: decodeURIComponent(m[4]!),
  }
}

export async function produce(
  url: string,
  messages: WsMessageInput | readonly WsMessageInput[],
  options: ProduceOptions = {},
): Promise<WsSendReceipt[]> {
  const address = parseProducerUrl(url)
  const list = Array.isArray(messages)
    ? (messages as readonly WsMessageInput[])
    : [messages as WsMessageInput]
  const { sendTimeoutMs, maxTextFrameSize, ...socket } = options
  const producer = new PulsarWsProducer(url, address, {
    socket,
    bufferSize: Math.max(1, list.length),
    ...(sendTimeoutMs !== undefined ? { sendTimeoutMs } : {}),
    ...(maxTextFrameSize !== undefined ? { maxTextFrameSize } : {}),
  })
  await producer.start()
  try {
    return await producer.send(list)
  } finally {
    await producer.close()
  }
}

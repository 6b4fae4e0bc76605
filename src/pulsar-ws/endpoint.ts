// Endpoint URLs of the WebSocket API and the query parameters each endpoint accepts, validated
// here so that a wrong option fails at the call with a ConfigError instead of as an HTTP 400 from
// the server. Parameter names are exactly Pulsar's (ProducerHandler / ConsumerHandler /
// ReaderHandler of pulsar-websocket).
//
//   {base}/ws/v2/producer/{persistence}/{tenant}/{namespace}/{topic}?…
//   {base}/ws/v2/consumer/{persistence}/{tenant}/{namespace}/{topic}/{subscription}?…
//   {base}/ws/v2/reader/{persistence}/{tenant}/{namespace}/{topic}?messageId=earliest|latest|<base64>…

import { ConfigError } from '../core/errors.ts'
import { parseTopicName } from '../pulsar/topic-name.ts'
import type { TopicName } from '../pulsar/topic-name.ts'
import { redactUrl } from '../core/redact-url.ts'

export type Persistence = 'persistent' | 'non-persistent'

/** Where a topic lives: Stargate's (persistence, tenant, namespace, topic). */
export interface TopicAddress {
  persistence: Persistence
  tenant: string
  namespace: string
  /** The local name (may end in -partition-N). */
  topic: string
}

export interface TopicDefaults {
  tenant: string
  namespace: string
  persistence: Persistence
}

/**
 * Resolves a topic as the user wrote it: `orders` (in the default tenant/namespace),
 * `tenant/ns/orders`, or `persistent://tenant/ns/orders`.
 */
export function resolveTopic(
  topic: string,
  defaults: TopicDefaults,
): TopicAddress & { full: string; name: TopicName } {
  if (typeof topic !== 'string' || topic.length === 0)
    throw new ConfigError('a topic name must be a non-empty string')
  const qualified = topic.includes('/')
    ? topic
    : `${defaults.persistence}://${defaults.tenant}/${defaults.namespace}/${topic}`
  const name = parseTopicName(qualified)
  return {
    persistence: name.domain,
    tenant: name.tenant,
    namespace: name.namespace,
    topic: name.local,
    full: name.full,
    name,
  }
}

/** The web service base of a ws:// or wss:// URL (path prefix kept for proxies), without query. */
export interface ServiceBase {
  /** e.g. `ws://127.0.0.1:8080` or `wss://gw.example/pulsar` (no trailing slash). */
  ws: string
  /** The same service over http(s), for the admin REST API. */
  http: string
  secure: boolean
  /** Query parameters of the URL the user gave (tenant, namespace defaults). */
  params: URLSearchParams
}

export function parseServiceBase(url: string): ServiceBase {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new ConfigError(
      `"${redactUrl(url)}" is not a valid URL; expected ws://host:port or wss://host:port`,
    )
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new ConfigError(
      `"${redactUrl(url)}" is not a Pulsar WebSocket URL: the scheme must be ws:// or wss://`,
    )
  }
  if (u.hostname === '') throw new ConfigError(`no host in "${redactUrl(url)}"`)
  if (u.username !== '' || u.password !== '') {
    throw new ConfigError('credentials do not belong in the URL; pass { token } (JWT) in the options')
  }
  const path = u.pathname.replace(/\/+$/, '')
  if (/\/ws\/v2\//.test(path + '/')) {
    throw new ConfigError(
      `"${redactUrl(url)}" names an endpoint; the client wants the web service base, e.g. ws://host:8080`,
    )
  }
  const secure = u.protocol === 'wss:'
  return {
    ws: `${u.protocol}//${u.host}${path}`,
    http: `${secure ? 'https' : 'http'}://${u.host}${path}`,
    secure,
    params: u.searchParams,
  }
}

function segment(value: string): string {
  return encodeURIComponent(value)
}

function topicPath(t: TopicAddress): string {
  return `${t.persistence}/${segment(t.tenant)}/${segment(t.namespace)}/${segment(t.topic)}`
}

function withQuery(url: string, params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v))
  const s = q.toString()
  return s === '' ? url : `${url}?${s}`
}

// ---- producer -------------------------------------------------------------------------------

export const COMPRESSION_TYPES = ['NONE', 'LZ4', 'ZLIB', 'ZSTD', 'SNAPPY'] as const
export const ROUTING_MODES = ['SinglePartition', 'RoundRobinPartition'] as const
export const HASHING_SCHEMES = ['JavaStringHash', 'Murmur3_32Hash'] as const

/** Every query parameter the WebSocket producer endpoint accepts. */
export interface ProducerParams {
  /** The broker-side send timeout of the server's producer (ms; 0 = none). */
  sendTimeoutMillis?: number
  batchingEnabled?: boolean
  batchingMaxMessages?: number
  /** The server producer's queue; also caps how many of our messages are in flight at once. */
  maxPendingMessages?: number
  /** ms */
  batchingMaxPublishDelay?: number
  messageRoutingMode?: (typeof ROUTING_MODES)[number]
  compressionType?: (typeof COMPRESSION_TYPES)[number]
  producerName?: string
  initialSequenceId?: number
  hashingScheme?: (typeof HASHING_SCHEMES)[number]
  /** Names of encryption keys (the server needs a cryptoKeyReaderFactoryClassName). */
  encryptionKeys?: readonly string[]
}

function nonNegativeInt(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new ConfigError(`${name} must be a non-negative integer, got ${String(value)}`)
  }
  return value as number
}

function positiveInt(value: unknown, name: string): number | undefined {
  const n = nonNegativeInt(value, name)
  if (n === 0) throw new ConfigError(`${name} must be a positive integer, got 0`)
  return n
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T | undefined {
  if (value === undefined) return undefined
  if (!allowed.includes(value as T)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got ${String(value)}`)
  }
  return value as T
}

function bool(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw new ConfigError(`${name} must be true or false, got ${String(value)}`)
  return value
}

function str(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0)
    throw new ConfigError(`${name} must be a non-empty string`)
  return value
}

export function producerQuery(p: ProducerParams): Record<string, string | number | boolean | undefined> {
  const keys = p.encryptionKeys
  if (
    keys !== undefined &&
    (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string' || k === '' || k.includes(',')))
  ) {
    throw new ConfigError('encryptionKeys must be an array of non-empty key names without commas')
  }
  return {
    sendTimeoutMillis: nonNegativeInt(p.sendTimeoutMillis, 'sendTimeoutMillis'),
    batchingEnabled: bool(p.batchingEnabled, 'batchingEnabled'),
    batchingMaxMessages: positiveInt(p.batchingMaxMessages, 'batchingMaxMessages'),
    maxPendingMessages: positiveInt(p.maxPendingMessages, 'maxPendingMessages'),
    batchingMaxPublishDelay: nonNegativeInt(p.batchingMaxPublishDelay, 'batchingMaxPublishDelay'),
    messageRoutingMode: oneOf(p.messageRoutingMode, ROUTING_MODES, 'messageRoutingMode'),
    compressionType: oneOf(p.compressionType, COMPRESSION_TYPES, 'compressionType'),
    producerName: str(p.producerName, 'producerName'),
    initialSequenceId: nonNegativeInt(p.initialSequenceId, 'initialSequenceId'),
    hashingScheme: oneOf(p.hashingScheme, HASHING_SCHEMES, 'hashingScheme'),
    encryptionKeys: keys && keys.length > 0 ? keys.join(',') : undefined,
  }
}

export function producerUrl(base: string, t: TopicAddress, p: ProducerParams): string {
  return withQuery(`${base}/ws/v2/producer/${topicPath(t)}`, producerQuery(p))
}

// ---- consumer -------------------------------------------------------------------------------

export const SUBSCRIPTION_TYPES = ['Exclusive', 'Shared', 'Failover', 'Key_Shared'] as const
export type SubscriptionType = (typeof SUBSCRIPTION_TYPES)[number]
export const INITIAL_POSITIONS = ['Earliest', 'Latest'] as const
export const SUBSCRIPTION_MODES = ['Durable', 'NonDurable'] as const
export const CRYPTO_FAILURE_ACTIONS = ['FAIL', 'DISCARD', 'CONSUME'] as const

/** Every query parameter the WebSocket consumer endpoint accepts. */
export interface ConsumerParams {
  subscriptionType?: SubscriptionType
  /** Redeliver what is not acked within this many ms (≥ 1000, or 0 for off). */
  ackTimeoutMillis?: number
  /** The server consumer's prefetch (the server caps it at 1000). */
  receiverQueueSize?: number
  consumerName?: string
  priorityLevel?: number
  /** After this many redeliveries a message goes to the dead-letter topic (Shared / Key_Shared). */
  maxRedeliverCount?: number
  /** Default `{topic}-{subscription}-DLQ`. Needs maxRedeliverCount. */
  deadLetterTopic?: string
  /** Messages flow only as permits are given (the client gives them as it is read). */
  pullMode?: boolean
  /** ms before a negatively acknowledged message is redelivered. */
  negativeAckRedeliveryDelay?: number
  subscriptionInitialPosition?: (typeof INITIAL_POSITIONS)[number]
  subscriptionMode?: (typeof SUBSCRIPTION_MODES)[number]
  cryptoFailureAction?: (typeof CRYPTO_FAILURE_ACTIONS)[number]
}

export function consumerQuery(p: ConsumerParams): Record<string, string | number | boolean | undefined> {
  const ackTimeout = nonNegativeInt(p.ackTimeoutMillis, 'ackTimeoutMillis')
  if (ackTimeout !== undefined && ackTimeout > 0 && ackTimeout < 1000) {
    throw new ConfigError(
      `ackTimeoutMillis must be 0 (off) or at least 1000 ms (Pulsar's minimum), got ${ackTimeout}`,
    )
  }
  const receiverQueueSize = nonNegativeInt(p.receiverQueueSize, 'receiverQueueSize')
  if (receiverQueueSize !== undefined && receiverQueueSize > 1000) {
    throw new ConfigError(
      `receiverQueueSize must be at most 1000 (the WebSocket service's cap), got ${receiverQueueSize}`,
    )
  }
  if (p.deadLetterTopic !== undefined && p.maxRedeliverCount === undefined) {
    throw new ConfigError(
      'deadLetterTopic needs maxRedeliverCount (after how many deliveries a message goes there)',
    )
  }
  if (p.priorityLevel !== undefined && !Number.isSafeInteger(p.priorityLevel)) {
    throw new ConfigError(`priorityLevel must be an integer, got ${String(p.priorityLevel)}`)
  }
  return {
    subscriptionType: oneOf(p.subscriptionType, SUBSCRIPTION_TYPES, 'subscriptionType'),
    ackTimeoutMillis: ackTimeout,
    receiverQueueSize,
    consumerName: str(p.consumerName, 'consumerName'),
    priorityLevel: p.priorityLevel,
    maxRedeliverCount: positiveInt(p.maxRedeliverCount, 'maxRedeliverCount'),
    deadLetterTopic: str(p.deadLetterTopic, 'deadLetterTopic'),
    pullMode: bool(p.pullMode, 'pullMode'),
    negativeAckRedeliveryDelay: nonNegativeInt(p.negativeAckRedeliveryDelay, 'negativeAckRedeliveryDelay'),
    subscriptionInitialPosition: oneOf(
      p.subscriptionInitialPosition,
      INITIAL_POSITIONS,
      'subscriptionInitialPosition',
    ),
    subscriptionMode: oneOf(p.subscriptionMode, SUBSCRIPTION_MODES, 'subscriptionMode'),
    cryptoFailureAction: oneOf(p.cryptoFailureAction, CRYPTO_FAILURE_ACTIONS, 'cryptoFailureAction'),
  }
}

export function consumerUrl(base: string, t: TopicAddress, subscription: string, p: ConsumerParams): string {
  if (typeof subscription !== 'string' || subscription.length === 0 || subscription.includes('/')) {
    throw new ConfigError('a subscription name must be a non-empty string without "/"')
  }
  return withQuery(`${base}/ws/v2/consumer/${topicPath(t)}/${segment(subscription)}`, consumerQuery(p))
}

// ---- reader ---------------------------------------------------------------------------------

export interface ReaderParams {
  /** 'earliest', 'latest', or the base64 id to start after. */
  messageId: string
  receiverQueueSize?: number
  readerName?: string
  cryptoFailureAction?: (typeof CRYPTO_FAILURE_ACTIONS)[number]
}

export function readerUrl(base: string, t: TopicAddress, p: ReaderParams): string {
  const receiverQueueSize = nonNegativeInt(p.receiverQueueSize, 'receiverQueueSize')
  return withQuery(`${base}/ws/v2/reader/${topicPath(t)}`, {
    messageId: p.messageId,
    receiverQueueSize,
    readerName: str(p.readerName, 'readerName'),
    cryptoFailureAction: oneOf(p.cryptoFailureAction, CRYPTO_FAILURE_ACTIONS, 'cryptoFailureAction'),
  })
}

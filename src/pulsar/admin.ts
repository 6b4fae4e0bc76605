// The Pulsar admin REST API (the `/admin/v2` endpoints of the broker's web service) for what users
// need daily: tenants, namespaces, topics, subscriptions, stats and backlog. Token auth is sent as
// a Bearer header; https URLs use the given CA / client certificate. Standalone on purpose: the
// WebSocket driver reuses it.

import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { SecureContextOptions } from 'node:tls'
import {
  AuthenticationError,
  BrokerError,
  ConfigError,
  ConnectionError,
  TimeoutError,
} from '../core/errors.ts'
import { parseTopicName } from './topic-name.ts'
import { redactUrl } from '../core/redact-url.ts'
import { clientCertificateRefused } from '../core/tls-alert.ts'

export interface PulsarAdminOptions {
  /** `http://host:8080` or `https://host:8443`. */
  url: string
  token?: string | (() => string | Promise<string>)
  tls?: SecureContextOptions & { rejectUnauthorized?: boolean }
  timeoutMs?: number
}

export interface TopicStats {
  msgRateIn: number
  msgRateOut: number
  msgInCounter: number
  bytesInCounter: number
  storageSize: number
  backlogSize: number
  publishers: unknown[]
  subscriptions: Record<
    string,
    { msgBacklog: number; type: string; consumers: unknown[]; unackedMessages?: number; [k: string]: unknown }
  >
  [k: string]: unknown
}

/** Path segment of a topic: `persistent/tenant/ns/topic`. */
function topicPath(topic: string): string {
  const t = parseTopicName(topic)
  return `${t.domain}/${encodeURIComponent(t.tenant)}/${encodeURIComponent(t.namespace)}/${encodeURIComponent(t.local)}`
}

function nsPath(namespace: string): string {
  const parts = namespace.split('/')
  if (parts.length !== 2 || parts.some((p) => p.length === 0))
    throw new ConfigError(`namespace must be "tenant/namespace", got "${namespace}"`)
  return parts.map(encodeURIComponent).join('/')
}

const LONG_MAX = '9223372036854775807'

/** A request body that is already JSON text (for numbers a JS number cannot represent). */
class RawJson {
  readonly text: string
  constructor(text: string) {
    this.text = text
  }
}

export class PulsarAdmin {
  readonly url: URL
  readonly #opts: PulsarAdminOptions

  constructor(opts: PulsarAdminOptions) {
    let url: URL
    try {
      url = new URL(opts.url)
    } catch {
      throw new ConfigError(`invalid admin URL "${redactUrl(opts.url)}"`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ConfigError(`admin URL must be http(s), got "${redactUrl(opts.url)}"`)
    this.url = url
    this.#opts = opts
  }

  /** Sends one request; resolves with the parsed JSON body (undefined for empty bodies). */
  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    const token = this.#opts.token
    if (token !== undefined)
      headers.authorization = `Bearer ${typeof token === 'string' ? token : await token()}`
    let payload: string | undefined
    if (body !== undefined) {
      payload = body instanceof RawJson ? body.text : JSON.stringify(body)
      headers['content-type'] = 'application/json'
    }
    const target = new URL(path, this.url)
    const https = target.protocol === 'https:'
    const timeoutMs = this.#opts.timeoutMs ?? 30_000
    return new Promise<T>((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(
        target,
        { method, headers, ...(https ? (this.#opts.tls ?? {}) : {}) },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', (err) =>
            reject(new ConnectionError(`admin ${method} ${path}: ${err.message}`, { cause: err })),
          )
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            const status = res.statusCode ?? 0
            if (status >= 200 && status < 300) {
              if (text.length === 0) return resolve(undefined as T)
              try {
                resolve(JSON.parse(text) as T)
              } catch {
                resolve(text as T)
              }
              return
            }
            let reason = text
            try {
              reason = (JSON.parse(text) as { reason?: string }).reason ?? text
            } catch {
              // plain text body
            }
            if (status === 401 || status === 403)
              return reject(new AuthenticationError(`admin ${method} ${path}: HTTP ${status} ${reason}`))
            reject(
              new BrokerError(status, `HTTP_${status}`, `admin ${method} ${path}: HTTP ${status} ${reason}`, {
                retriable: status >= 500 || status === 429,
              }),
            )
          })
        },
      )
      req.setTimeout(timeoutMs, () =>
        req.destroy(new TimeoutError(`admin ${method} ${path} timed out after ${timeoutMs} ms`)),
      )
      req.on('error', (err) =>
        reject(
          err instanceof TimeoutError
            ? err
            : (clientCertificateRefused(err, `admin ${method} ${path}: ${target.host}`) ??
                new ConnectionError(`admin ${method} ${path}: ${err.message}`, { cause: err })),
        ),
      )
      if (payload !== undefined) req.write(payload)
      req.end()
    })
  }

  // tenants
  listTenants(): Promise<string[]> {
    return this.request('GET', '/admin/v2/tenants')
  }
  createTenant(
    tenant: string,
    info: { allowedClusters?: string[]; adminRoles?: string[] } = {},
  ): Promise<void> {
    return this.request('PUT', `/admin/v2/tenants/${encodeURIComponent(tenant)}`, {
      allowedClusters: info.allowedClusters ?? ['standalone'],
      adminRoles: info.adminRoles ?? [],
    })
  }
  deleteTenant(tenant: string): Promise<void> {
    return this.request('DELETE', `/admin/v2/tenants/${encodeURIComponent(tenant)}`)
  }

  // namespaces
  listNamespaces(tenant: string): Promise<string[]> {
    return this.request('GET', `/admin/v2/namespaces/${encodeURIComponent(tenant)}`)
  }
  createNamespace(namespace: string): Promise<void> {
    return this.request('PUT', `/admin/v2/namespaces/${nsPath(namespace)}`)
  }
  deleteNamespace(namespace: string): Promise<void> {
    return this.request('DELETE', `/admin/v2/namespaces/${nsPath(namespace)}`)
  }
  setDeduplication(namespace: string, enabled: boolean): Promise<void> {
    return this.request('POST', `/admin/v2/namespaces/${nsPath(namespace)}/deduplication`, enabled)
  }

  // topics
  /** Non-partitioned topics and partitions of partitioned ones. */
  listTopics(namespace: string): Promise<string[]> {
    return this.request('GET', `/admin/v2/persistent/${nsPath(namespace)}`)
  }
  listPartitionedTopics(namespace: string): Promise<string[]> {
    return this.request('GET', `/admin/v2/persistent/${nsPath(namespace)}/partitioned`)
  }
  createTopic(topic: string): Promise<void> {
    return this.request('PUT', `/admin/v2/${topicPath(topic)}`)
  }
  createPartitionedTopic(topic: string, partitions: number): Promise<void> {
    if (!Number.isInteger(partitions) || partitions < 1)
      throw new ConfigError('partitions must be a positive integer')
    return this.request('PUT', `/admin/v2/${topicPath(topic)}/partitions`, partitions)
  }
  /**
   * Raises the partition count of a partitioned topic (Pulsar can only add partitions). Clients
   * with `autoUpdatePartitions` start using the new ones at their next check.
   */
  updatePartitionedTopic(topic: string, partitions: number): Promise<void> {
    if (!Number.isInteger(partitions) || partitions < 1)
      throw new ConfigError('partitions must be a positive integer')
    return this.request('POST', `/admin/v2/${topicPath(topic)}/partitions`, partitions)
  }
  async getPartitions(topic: string): Promise<number> {
    const r = await this.request<{ partitions: number }>('GET', `/admin/v2/${topicPath(topic)}/partitions`)
    return r.partitions
  }
  deleteTopic(topic: string, opts: { force?: boolean } = {}): Promise<void> {
    return this.request('DELETE', `/admin/v2/${topicPath(topic)}?force=${opts.force ?? false}`)
  }
  deletePartitionedTopic(topic: string, opts: { force?: boolean } = {}): Promise<void> {
    return this.request('DELETE', `/admin/v2/${topicPath(topic)}/partitions?force=${opts.force ?? false}`)
  }
  /** Unloads the topic from its broker (clients reconnect, possibly elsewhere). */
  unloadTopic(topic: string): Promise<void> {
    return this.request('PUT', `/admin/v2/${topicPath(topic)}/unload`)
  }
  terminateTopic(topic: string): Promise<unknown> {
    return this.request('POST', `/admin/v2/${topicPath(topic)}/terminate`)
  }
  topicStats(topic: string): Promise<TopicStats> {
    return this.request('GET', `/admin/v2/${topicPath(topic)}/stats`)
  }
  partitionedTopicStats(topic: string): Promise<TopicStats & { partitions?: Record<string, TopicStats> }> {
    return this.request('GET', `/admin/v2/${topicPath(topic)}/partitioned-stats?perPartition=true`)
  }
  /**
   * The id of the newest message of a non-partitioned topic or of one partition
   * (`…-partition-N`); entryId -1 while the topic's current ledger holds nothing.
   */
  lastMessageId(topic: string): Promise<{ ledgerId: number; entryId: number; batchIndex?: number }> {
    return this.request('GET', `/admin/v2/${topicPath(topic)}/lastMessageId`)
  }
  /** Messages waiting in one subscription. */
  async backlog(topic: string, subscription: string): Promise<number> {
    const stats = await this.topicStats(topic)
    return stats.subscriptions[subscription]?.msgBacklog ?? 0
  }

  // subscriptions
  listSubscriptions(topic: string): Promise<string[]> {
    return this.request('GET', `/admin/v2/${topicPath(topic)}/subscriptions`)
  }
  createSubscription(
    topic: string,
    subscription: string,
    at: 'earliest' | 'latest' = 'latest',
  ): Promise<void> {
    // Pulsar's "latest" position is (Long.MAX_VALUE, Long.MAX_VALUE). A JS number cannot hold it
    // (2^63 - 1 rounds up to 2^63, past the long range), so the body is written as text.
    const id =
      at === 'earliest'
        ? { ledgerId: -1, entryId: -1 }
        : new RawJson(`{"ledgerId":${LONG_MAX},"entryId":${LONG_MAX}}`)
    return this.request(
      'PUT',
      `/admin/v2/${topicPath(topic)}/subscription/${encodeURIComponent(subscription)}`,
      id,
    )
  }
  deleteSubscription(topic: string, subscription: string, opts: { force?: boolean } = {}): Promise<void> {
    return this.request(
      'DELETE',
      `/admin/v2/${topicPath(topic)}/subscription/${encodeURIComponent(subscription)}?force=${opts.force ?? false}`,
    )
  }
  /** Moves the subscription's cursor to a publish time (ms since epoch). */
  resetCursor(topic: string, subscription: string, timestampMs: number): Promise<void> {
    return this.request(
      'POST',
      `/admin/v2/${topicPath(topic)}/subscription/${encodeURIComponent(subscription)}/resetcursor/${Math.floor(timestampMs)}`,
    )
  }
  skipMessages(topic: string, subscription: string, count: number): Promise<void> {
    return this.request(
      'POST',
      `/admin/v2/${topicPath(topic)}/subscription/${encodeURIComponent(subscription)}/skip/${Math.floor(count)}`,
    )
  }
  skipAll(topic: string, subscription: string): Promise<void> {
    return this.request(
      'POST',
      `/admin/v2/${topicPath(topic)}/subscription/${encodeURIComponent(subscription)}/skip_all`,
    )
  }
}

// The native client of the Pulsar WebSocket API: one web service base URL (ws:// or wss://),
// default tenant and namespace, TLS and JWT settings shared by every socket, a registry naming
// every producer, consumer and reader it made, and the admin REST API of the same web service.
//
//   const client = new PulsarWsClient({ url: 'ws://127.0.0.1:8080', token })
//   const producer = await client.producer({ topic: 'orders', batchingEnabled: true })
//   const receipt = await producer.send({ key: 'o-1', payload: 'paid', properties: { source: 'web' } })
//   const consumer = await client.consumer({ topic: 'orders', subscription: 'billing', subscriptionType: 'Shared' })
//   for await (const message of consumer) { …; consumer.ack(message) }

import { redactUrl } from '../core/redact-url.ts'
import { warnInsecureAuth } from '../core/insecure-auth.ts'
import { ClosedError, ConfigError } from '../core/errors.ts'
import { sleep } from '../core/backoff.ts'
import type { BackoffOptions } from '../core/backoff.ts'
import { PulsarAdmin } from '../pulsar/admin.ts'
import { PulsarWsConsumer } from './consumer.ts'
import type { CursorReset } from './consumer.ts'
import { consumerUrl, parseServiceBase, producerUrl, readerUrl, resolveTopic } from './endpoint.ts'
import type { ConsumerParams, Persistence, ProducerParams, ServiceBase, TopicAddress } from './endpoint.ts'
import type { MessageId } from './message-id.ts'
import { PulsarWsProducer } from './producer.ts'
import type { ReceiptCallback, WsMessageInput, WsSendReceipt } from './producer.ts'
import { PulsarWsReader } from './reader.ts'
import type { ReaderStart } from './reader.ts'
import { Registry } from './registry.ts'
import type { ComponentKind, RegistryKey } from './registry.ts'
import { isConflict } from './socket.ts'
import type { SocketOptions, WsTlsOptions } from './socket.ts'

/** How long after this client closed a consumer a 409 on its subscription is taken for that close. */
const CLOSE_GRACE_MS = 5000
const CONFLICT_RETRY_MS = 100

export interface PulsarWsClientOptions {
  /** The web service base, e.g. `ws://127.0.0.1:8080` or `wss://host:8443` (a path prefix is kept). */
  url: string
  /** Default tenant for short topic names. Default `public` (or `?tenant=` in the URL). */
  tenant?: string
  /** Default namespace for short topic names. Default `default` (or `?namespace=` in the URL). */
  namespace?: string
  /** Default persistence for short topic names. Default `persistent`. */
  persistence?: Persistence
  /** JWT, sent as `Authorization: Bearer …` (a function is asked on every (re)connect). */
  token?: string | (() => string | Promise<string>)
  /** For wss:// (and the https admin API): CA, client certificate and key. */
  tls?: WsTlsOptions
  connectTimeoutMs?: number
  keepAliveMs?: number
  reconnectBackoff?: BackoffOptions
  /** The server's webSocketMaxTextFrameSize. Default 1 MiB (Pulsar's default). */
  maxTextFrameSize?: number
  /** The admin REST API; default: the same web service over http(s). */
  adminUrl?: string
  /** Send a token over ws:// (no TLS) without the one-time CONDUIT_INSECURE_AUTH warning. */
  allowInsecureAuth?: boolean
}

export interface WsProducerOptions extends ProducerParams {
  topic: string
  bufferSize?: number
  sendTimeoutMs?: number
  onReceipt?: ReceiptCallback
}

export interface WsConsumerOptions extends ConsumerParams {
  topic: string
  subscription: string
  /** Pull mode: most permits outstanding. Default 100. */
  permits?: number
}

export interface WsReaderOptions {
  topic: string
  /** Default 'latest'. */
  startMessageId?: ReaderStart
  receiverQueueSize?: number
  readerName?: string
  cryptoFailureAction?: 'FAIL' | 'DISCARD' | 'CONSUME'
}

type Component = PulsarWsProducer | PulsarWsConsumer | PulsarWsReader

export class PulsarWsClient {
  readonly service: ServiceBase
  readonly admin: PulsarAdmin
  /** Every open producer, consumer and reader by (kind, persistence, tenant, namespace, topic). */
  readonly registry = new Registry<Component>()
  readonly #options: PulsarWsClientOptions
  readonly #defaults: { tenant: string; namespace: string; persistence: Persistence }
  readonly #open = new Set<Component>()
  #closed = false

  constructor(options: PulsarWsClientOptions) {
    if (!options || typeof options.url !== 'string') throw new ConfigError('PulsarWsClient needs { url }')
    this.service = parseServiceBase(options.url)
    this.#options = options
    // A bearer token read off a plaintext connection can be replayed by whoever read it.
    if (options.token !== undefined && !this.service.secure) {
      warnInsecureAuth(
        'Pulsar WebSocket token credentials',
        redactUrl(options.url),
        options.allowInsecureAuth,
      )
    }
    this.#defaults = {
      tenant: options.tenant ?? this.service.params.get('tenant') ?? 'public',
      namespace: options.namespace ?? this.service.params.get('namespace') ?? 'default',
      persistence: options.persistence ?? 'persistent',
    }
    if (this.#defaults.persistence !== 'persistent' && this.#defaults.persistence !== 'non-persistent') {
      throw new ConfigError(
        `persistence must be persistent or non-persistent, got ${String(options.persistence)}`,
      )
    }
    if (
      options.maxTextFrameSize !== undefined &&
      (!Number.isSafeInteger(options.maxTextFrameSize) || options.maxTextFrameSize < 1024)
    ) {
      throw new ConfigError('maxTextFrameSize must be an integer of at least 1024 bytes')
    }
    const token = options.token
    this.admin = new PulsarAdmin({
      url: options.adminUrl ?? this.service.http,
      ...(token !== undefined ? { token } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
    })
  }

  /** Resolves a topic as written (`orders`, `tenant/ns/orders`, `persistent://…`) with the defaults. */
  resolve(topic: string): TopicAddress & { full: string } {
    return resolveTopic(topic, this.#defaults)
  }

  get socketOptions(): SocketOptions {
    const o = this.#options
    return {
      ...(o.token !== undefined ? { token: o.token } : {}),
      ...(o.tls ? { tls: o.tls } : {}),
      ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
      ...(o.keepAliveMs !== undefined ? { keepAliveMs: o.keepAliveMs } : {}),
      ...(o.reconnectBackoff ? { reconnectBackoff: o.reconnectBackoff } : {}),
    }
  }

  get maxTextFrameSize(): number | undefined {
    return this.#options.maxTextFrameSize
  }

  async producer(options: WsProducerOptions): Promise<PulsarWsProducer> {
    this.#check(options)
    const { topic, bufferSize, sendTimeoutMs, onReceipt, ...params } = options
    const address = this.resolve(topic)
    const url = producerUrl(this.service.ws, address, params)
    const producer = new PulsarWsProducer(
      url,
      address,
      {
        socket: this.socketOptions,
        ...(bufferSize !== undefined ? { bufferSize } : {}),
        ...(sendTimeoutMs !== undefined ? { sendTimeoutMs } : {}),
        ...(onReceipt ? { onReceipt } : {}),
        ...(this.#options.maxTextFrameSize !== undefined
          ? { maxTextFrameSize: this.#options.maxTextFrameSize }
          : {}),
      },
      params.maxPendingMessages,
    )
    return this.#track('producer', address, producer)
  }

  async consumer(options: WsConsumerOptions): Promise<PulsarWsConsumer> {
    this.#check(options)
    const { topic, subscription, permits, ...params } = options
    const address = this.resolve(topic)
    const url = consumerUrl(this.service.ws, address, subscription, params)
    const key = url.split('?')[0]!
    for (;;) {
      const consumer = new PulsarWsConsumer(() => url, address, subscription, params, {
        socket: this.socketOptions,
        ...(permits !== undefined ? { permits } : {}),
        resetCursor: this.#cursorReset(address),
      })
      try {
        return await this.#track('consumer', address, consumer, () => this.#closedAt.set(key, Date.now()))
      } catch (error) {
        if (!(isConflict(error) && this.#closedLately(key))) throw error
        await sleep(CONFLICT_RETRY_MS)
      }
    }
  }

  /**
   * When this client closed a consumer of the subscription (endpoint URL without parameters).
   * The server closes its side of a consumer after the WebSocket closed, asynchronously: a
   * consumer re-opened at once on an Exclusive or Failover subscription can be refused with 409
   * "already connected" by its own predecessor. Within CLOSE_GRACE_MS of such a close, a 409 is
   * retried; otherwise it is a real second consumer and fails at once.
   */
  readonly #closedAt = new Map<string, number>()

  #closedLately(key: string): boolean {
    const now = Date.now()
    for (const [k, at] of this.#closedAt) if (now - at >= CLOSE_GRACE_MS) this.#closedAt.delete(k)
    return this.#closedAt.has(key)
  }

  async reader(options: WsReaderOptions): Promise<PulsarWsReader> {
    this.#check(options)
    const address = this.resolve(options.topic)
    const { receiverQueueSize, readerName, cryptoFailureAction } = options
    // Validate the parameters now rather than at the first (re)connect.
    readerUrl(this.service.ws, address, {
      messageId: 'latest',
      receiverQueueSize,
      readerName,
      cryptoFailureAction,
    })
    const reader = new PulsarWsReader(
      (messageId) =>
        readerUrl(this.service.ws, address, {
          messageId,
          receiverQueueSize,
          readerName,
          cryptoFailureAction,
        }),
      address,
      options.startMessageId ?? 'latest',
      this.socketOptions,
    )
    return this.#track('reader', address, reader)
  }

  /** Ad-hoc produce: opens a producer, sends, waits for every receipt, closes. */
  async produce(
    topic: string,
    messages: WsMessageInput | readonly WsMessageInput[],
    params: ProducerParams = {},
  ): Promise<WsSendReceipt[]> {
    const producer = await this.producer({ topic, ...params })
    try {
      return await producer.send(Array.isArray(messages) ? messages : [messages as WsMessageInput])
    } finally {
      await producer.close()
    }
  }

  /** Finds what this client opened, by Stargate's tuple. */
  find(key: RegistryKey): Component | undefined {
    return this.registry.find(key)
  }

  /** Closes every producer (draining), consumer and reader. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const all = [...this.#open]
    await Promise.allSettled(all.filter((c) => c instanceof PulsarWsProducer).map((c) => c.close()))
    await Promise.allSettled(all.filter((c) => !(c instanceof PulsarWsProducer)).map((c) => c.close()))
  }

  #check(options: { topic: string }): void {
    if (this.#closed) throw new ClosedError('the Pulsar WebSocket client is closed')
    if (!options || typeof options !== 'object') throw new ConfigError('options object expected')
  }

  async #track<T extends Component>(
    kind: ComponentKind,
    address: TopicAddress,
    component: T,
    onClosed?: () => void,
  ): Promise<T> {
    const { persistence, tenant, namespace, topic } = address
    const remove = this.registry.add({ kind, persistence, tenant, namespace, topic }, component)
    this.#open.add(component)
    try {
      await component.start(() => {
        remove()
        this.#open.delete(component)
        onClosed?.()
      })
    } catch (error) {
      remove()
      this.#open.delete(component)
      throw error
    }
    return component
  }

  #cursorReset(address: TopicAddress): CursorReset {
    const full = `${address.persistence}://${address.tenant}/${address.namespace}/${address.topic}`
    return async (subscription: string, target: MessageId | number) => {
      if (typeof target === 'number') {
        await this.admin.resetCursor(full, subscription, target)
        return
      }
      // By message id the REST API wants the partition's own topic.
      const topic =
        target.partition >= 0 && !/-partition-\d+$/.test(address.topic)
          ? `${full}-partition-${target.partition}`
          : full
      const path = topic.replace('://', '/').split('/').map(encodeURIComponent).join('/')
      await this.admin.request(
        'POST',
        `/admin/v2/${path}/subscription/${encodeURIComponent(subscription)}/resetcursor`,
        {
          ledgerId: Number(target.ledgerId),
          entryId: Number(target.entryId),
          partitionIndex: target.partition,
          batchIndex: target.batchIndex,
          isExcluded: false,
        },
      )
    }
  }
}

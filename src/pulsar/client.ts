// The cluster view: a pool of connections keyed by logical and physical broker address, topic
// lookup (following redirects, carrying the authoritative flag, through a proxy when the broker
// says so), partitioned-topic metadata, namespace topic listing and topic-list watching. Producers,
// consumers and readers get their connection from here, and closing the client closes them first,
// then the connections.

import type tls from 'node:tls'
import { Backoff, sleep } from '../core/backoff.ts'
import { BrokerError, ConduitError, ConfigError, ConnectionError, ProtocolError } from '../core/errors.ts'
import type { AuthProvider } from './auth.ts'
import { PulsarConnection } from './connection.ts'
import { CommandType } from './protocol/commands.ts'
import {
  CommandGetTopicsOfNamespace_Mode,
  CommandLookupTopicResponse_LookupType,
} from './protocol/generated/pulsar-api_pb.ts'
import { brokerUrlFromLookup, parseBrokerUrl, parseServiceUrl } from './service-url.ts'
import type { BrokerAddress } from './service-url.ts'
import { parseTopicName } from './topic-name.ts'

export interface PulsarClientOptions {
  /** Authentication: a provider from auth.ts (`tokenAuth`, `oauth2ClientCredentials`, `tlsAuth`). */
  auth?: AuthProvider
  /** Shorthand for `auth: tokenAuth(token)`. */
  token?: string | (() => string | Promise<string>)
  /** TLS options for pulsar+ssl (ca, cert, key, rejectUnauthorized, …). */
  tls?: tls.ConnectionOptions
  connectTimeoutMs?: number
  operationTimeoutMs?: number
  keepAliveMs?: number
  /** Rewrites every broker address before connecting (tests route traffic through a proxy). */
  mapAddress?: (host: string, port: number) => { host: string; port: number }
  /** Delays between reconnect attempts of producers and consumers. */
  reconnectBackoff?: { initialMs?: number; maxMs?: number }
  /** A Pulsar proxy: every connection goes to it, naming the target broker in CONNECT. */
  proxyUrl?: string
  /**
   * The client's own memory bound: the largest frame accepted from a broker, and the largest size
   * one message may decompress to. Default 128 MiB.
   */
  maxFrameBytes?: number
}

export interface LookupResult {
  /** The broker that owns the topic (`pulsar://host:port`). */
  logical: BrokerAddress
  /** Where to connect (differs when the cluster says to go through the service URL / proxy). */
  physical: BrokerAddress
}

export interface Closeable {
  close(): Promise<unknown>
}

const MAX_REDIRECTS = 20
const BUSY = new Set(['ConsumerBusy', 'ProducerBusy', 'ProducerFenced'])

export class PulsarClient {
  readonly serviceUrl: string
  readonly options: PulsarClientOptions
  readonly #service: BrokerAddress[]
  readonly #auth: AuthProvider | undefined
  readonly #pool = new Map<string, Promise<PulsarConnection>>()
  readonly #resources = new Set<Closeable>()
  #nextProducerId = 0n
  #nextConsumerId = 0n
  #nextWatcherId = 0n
  #closed = false
  readonly #abort = new AbortController()

  constructor(serviceUrl: string, options: PulsarClientOptions = {}, auth?: AuthProvider) {
    this.serviceUrl = serviceUrl
    this.options = options
    this.#service = parseServiceUrl(options.proxyUrl ?? serviceUrl)
    this.#auth = auth
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Aborted when the client closes: reconnect loops stop waiting. */
  get signal(): AbortSignal {
    return this.#abort.signal
  }

  newProducerId(): bigint {
    return this.#nextProducerId++
  }

  newConsumerId(): bigint {
    return this.#nextConsumerId++
  }

  newBackoff(): Backoff {
    const b = this.options.reconnectBackoff ?? {}
    return new Backoff({ initialMs: b.initialMs ?? 100, maxMs: b.maxMs ?? 30_000, jitter: 0.5 })
  }

  /** Tracks a producer/consumer so close() closes it before the connections. */
  track(resource: Closeable): void {
    this.#resources.add(resource)
  }

  untrack(resource: Closeable): void {
    this.#resources.delete(resource)
  }

  /** A connection to one of the service URL's hosts (for lookups and metadata). */
  async serviceConnection(): Promise<PulsarConnection> {
    let lastError: unknown
    for (const address of this.#service) {
      try {
        return await this.connection(address, address)
      } catch (err) {
        lastError = err
      }
    }
    throw lastError instanceof Error ? lastError : new ConnectionError('no service URL host reachable')
  }

  /**
   * The pooled connection to `logical` reached at `physical` (the same broker unless going
   * through a proxy). A closed connection is dropped from the pool and a new one is opened.
   */
  connection(logical: BrokerAddress, physical: BrokerAddress = logical): Promise<PulsarConnection> {
    if (this.#closed) return Promise.reject(new ConnectionError('the Pulsar client is closed'))
    const key = `${logical.url}|${physical.url}`
    const existing = this.#pool.get(key)
    if (existing) return existing
    const proxied = logical.url !== physical.url
    const mapped = this.options.mapAddress ? this.options.mapAddress(physical.host, physical.port) : physical
    const opening = PulsarConnection.connect({
      host: mapped.host,
      port: mapped.port,
      tls: physical.tls ? (this.options.tls ?? true) : undefined,
      auth: this.#auth,
      connectTimeoutMs: this.options.connectTimeoutMs,
      operationTimeoutMs: this.options.operationTimeoutMs,
      keepAliveMs: this.options.keepAliveMs,
      ...(this.options.maxFrameBytes !== undefined ? { maxFrameBytes: this.options.maxFrameBytes } : {}),
      // The proxy expects `host:port` (no scheme), as the Java client sends it; a URL is refused
      // with "Target broker cannot be validated".
      proxyToBrokerUrl: proxied ? `${logical.host}:${logical.port}` : undefined,
      signal: this.#abort.signal,
    })
    this.#pool.set(key, opening)
    opening.then(
      (conn) => conn.onClose(() => this.#pool.get(key) === opening && this.#pool.delete(key)),
      () => this.#pool.get(key) === opening && this.#pool.delete(key),
    )
    return opening
  }

  /** Finds the broker serving `topic` (LOOKUP, following redirects). */
  async lookup(topic: string): Promise<LookupResult> {
    const name = parseTopicName(topic).full
    let conn = await this.serviceConnection()
    let authoritative = false
    for (let i = 0; i < MAX_REDIRECTS; i++) {
      const requestId = conn.newRequestId()
      const cmd = await conn.sendRequest(requestId, {
        type: CommandType.LOOKUP,
        lookupTopic: { topic: name, requestId, authoritative },
      })
      const r = cmd.lookupTopicResponse!
      const brokerUrl = brokerUrlFromLookup(r.brokerServiceUrl, r.brokerServiceUrlTls, this.#service[0]!.tls)
      const logical = parseBrokerUrl(brokerUrl)
      if (r.response === CommandLookupTopicResponse_LookupType.Connect) {
        const physical = r.proxyThroughServiceUrl || this.options.proxyUrl ? this.#service[0]! : logical
        return { logical, physical }
      }
      // Redirect: ask the named broker, marking the lookup authoritative when it says so.
      authoritative = r.authoritative
      conn =
        r.proxyThroughServiceUrl || this.options.proxyUrl
          ? await this.connection(logical, this.#service[0]!)
          : await this.connection(logical)
    }
    throw new ProtocolError(`lookup of ${name} redirected more than ${MAX_REDIRECTS} times`)
  }

  /** The connection to the broker serving `topic`. */
  async connectionFor(topic: string): Promise<PulsarConnection> {
    const { logical, physical } = await this.lookup(topic)
    return this.connection(logical, physical)
  }

  /** Number of partitions of `topic` (0 for a non-partitioned topic). */
  async partitions(topic: string): Promise<number> {
    const conn = await this.serviceConnection()
    const requestId = conn.newRequestId()
    const cmd = await conn.sendRequest(requestId, {
      type: CommandType.PARTITIONED_METADATA,
      partitionMetadata: { topic: parseTopicName(topic).full, requestId },
    })
    return cmd.partitionMetadataResponse!.partitions
  }

  /** Topics of a namespace (`tenant/ns`), optionally filtered by the broker with a regex. */
  async topicsOfNamespace(
    namespace: string,
    opts: { pattern?: string; mode?: 'persistent' | 'non-persistent' | 'all' } = {},
  ): Promise<string[]> {
    const conn = await this.serviceConnection()
    const requestId = conn.newRequestId()
    const mode = {
      persistent: CommandGetTopicsOfNamespace_Mode.PERSISTENT,
      'non-persistent': CommandGetTopicsOfNamespace_Mode.NON_PERSISTENT,
      all: CommandGetTopicsOfNamespace_Mode.ALL,
    }[opts.mode ?? 'persistent']
    const cmd = await conn.sendRequest(requestId, {
      type: CommandType.GET_TOPICS_OF_NAMESPACE,
      getTopicsOfNamespace: {
        requestId,
        namespace,
        mode,
        ...(opts.pattern ? { topicsPattern: opts.pattern } : {}),
      },
    })
    const topics = cmd.getTopicsOfNamespaceResponse!.topics
    if (!opts.pattern) return topics
    const re = new RegExp(opts.pattern)
    return topics.filter((t) => re.test(t))
  }

  /**
   * Watches the topics of `namespace` matching `pattern` (WATCH_TOPIC_LIST): resolves with the
   * current list and calls `onUpdate` with what is added or deleted. The watch lives on one
   * connection; `onLost` is called if that connection dies (callers fall back to listing).
   */
  async watchTopicList(
    namespace: string,
    pattern: string,
    onUpdate: (added: string[], removed: string[]) => void,
    onLost: () => void = () => undefined,
  ): Promise<{ topics: string[]; close(): Promise<void> }> {
    const conn = await this.serviceConnection()
    const watcherId = this.#nextWatcherId++
    const requestId = conn.newRequestId()
    conn.registerWatcher(watcherId, (cmd) => {
      const u = cmd.watchTopicUpdate!
      onUpdate(u.newTopics, u.deletedTopics)
    })
    conn.onClose(onLost)
    let response
    try {
      response = await conn.sendRequest(requestId, {
        type: CommandType.WATCH_TOPIC_LIST,
        watchTopicList: { requestId, watcherId, namespace, topicsPattern: pattern },
      })
    } catch (err) {
      conn.unregisterWatcher(watcherId)
      throw err
    }
    return {
      topics: response.watchTopicListSuccess!.topic,
      close: async () => {
        conn.unregisterWatcher(watcherId)
        if (!conn.isUsable) return
        const closeId = conn.newRequestId()
        await conn
          .sendRequest(
            closeId,
            {
              type: CommandType.WATCH_TOPIC_LIST_CLOSE,
              watchTopicListClose: { requestId: closeId, watcherId },
            },
            { timeoutMs: 5000 },
          )
          .catch(() => undefined)
      },
    }
  }

  /**
   * Retries `attempt` with jittered backoff while it fails with a retriable error, until the
   * client closes. Producers and consumers reconnect with it. For a first creation (`creating`)
   * a busy producer/consumer name is final (an Exclusive subscription taken is an answer, not a
   * glitch) and retries stop after the operation timeout; a reconnect retries those too, since the
   * broker may still hold the previous registration for a moment.
   */
  async retry<T>(
    what: string,
    attempt: () => Promise<T>,
    opts: { isDone?: () => boolean; creating?: boolean } = {},
  ): Promise<T> {
    const backoff = this.newBackoff()
    const deadline = opts.creating ? Date.now() + (this.options.operationTimeoutMs ?? 30_000) : Infinity
    for (;;) {
      try {
        return await attempt()
      } catch (err) {
        if (this.#closed || opts.isDone?.()) throw err
        if (!(err instanceof ConduitError) || !err.retriable) throw err
        if (opts.creating && err instanceof BrokerError && BUSY.has(String(err.brokerErrorName))) throw err
        const delay = backoff.next()
        if (Date.now() + delay > deadline) throw err
        await sleep(delay, this.#abort.signal).catch(() => undefined)
        if (this.#closed)
          throw new ConnectionError(`${what}: the client closed while reconnecting`, { cause: err })
      }
    }
  }

  /** Closes producers and consumers first (producers drain), then every connection. */
  async close(): Promise<void> {
    if (this.#closed) return
    const resources = [...this.#resources]
    await Promise.allSettled(resources.map((r) => r.close()))
    this.#closed = true
    this.#abort.abort(new ConnectionError('the Pulsar client is closed'))
    const conns = await Promise.allSettled([...this.#pool.values()])
    this.#pool.clear()
    await Promise.allSettled(
      conns.map((c) => (c.status === 'fulfilled' ? c.value.close() : Promise.resolve())),
    )
  }
}

export function validateClientOptions(opts: PulsarClientOptions): void {
  if (opts.mapAddress !== undefined && typeof opts.mapAddress !== 'function')
    throw new ConfigError('mapAddress must be a function')
}

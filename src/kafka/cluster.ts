// The cluster view (seed 001, brod_client): broker connections, metadata, leader and coordinator
// lookup.
//
// - Bootstrap: the addresses are tried in order until one answers Metadata; from then on only the
//   brokers the metadata names are used (the bootstrap socket is closed).
// - Pool: one connection per (node id, purpose). Produce, fetch, group and admin traffic use
//   separate sockets, so a fetch long-polling for maxWaitMs or a JoinGroup waiting for the whole
//   group never delays a produce or a heartbeat queued behind it on the same socket.
// - Dead-connection cool-down (brod): after a connection to a node died or failed to open, asking
//   for it again within the cool-down returns the last error at once instead of reconnecting in a
//   tight loop. The cool-down grows with jittered exponential backoff per node and resets on the
//   next successful connect.
// - Metadata: cached per topic, refreshed every metadataMaxAgeMs and on demand when a request
//   fails with an error that means our view is stale (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC, …).
//   Concurrent refresh requests share one in-flight Metadata call.
// - `mapAddress(host, port)` rewrites every broker address before connecting (tests route all
//   traffic through a fault proxy with it).

import { Backoff } from '../core/backoff.ts'
import {
  BrokerError,
  ClosedError,
  ConduitError,
  ConfigError,
  ConnectionError,
  TimeoutError,
} from '../core/errors.ts'
import { sleep } from '../core/backoff.ts'
import { KafkaConnection, type KafkaConnectionOptions } from './connection.ts'
import { ApiKey, KafkaErrors, kafkaError, kafkaErrorInfo } from './protocol/index.ts'

const UNKNOWN_TOPIC_OR_PARTITION = KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION
import type { SaslMechanism } from './sasl/mechanism.ts'

export interface BrokerAddress {
  host: string
  port: number
}

/**
 * What a socket carries. Group members get sockets of their own (`group:<member>`): a broker
 * handles one request per connection at a time, so a JoinGroup parked for the whole rebalance
 * would otherwise hold up another member's heartbeat in the same process — a deadlock until the
 * rebalance times out. Their commits and LeaveGroup use `group:<member>:offsets`, so closing a
 * member never waits behind its own JoinGroup.
 */
export type ConnectionPurpose = 'produce' | 'fetch' | 'admin' | `group:${string}`

export interface ClusterOptions {
  bootstrap: readonly BrokerAddress[]
  clientId: string
  tls?: KafkaConnectionOptions['tls']
  sasl?: SaslMechanism | undefined
  mapAddress?: ((host: string, port: number) => BrokerAddress) | undefined
  connectTimeoutMs: number
  requestTimeoutMs: number
  /** Metadata older than this is refreshed in the background. */
  metadataMaxAgeMs: number
  maxInFlight: number
  maxFrameBytes: number
  /** Cool-down after a connection to a node died: starts here, doubles, capped at reconnectMaxMs. */
  reconnectInitialMs: number
  reconnectMaxMs: number
  /**
   * Whether a producer's Metadata request may create a missing topic (the broker's
   * auto.create.topics.enable permitting). Admin, consumer and background refreshes never do.
   */
  allowAutoTopicCreation: boolean
}

export interface TopicLookupOptions {
  /** Ask the broker to create the topic when it is missing (a producer's lookup only). */
  autoCreate?: boolean
  /** A missing topic fails at once instead of being waited for (admin lookups). */
  failIfMissing?: boolean
}

export interface BrokerInfo {
  nodeId: number
  host: string
  port: number
  rack: string | null
}

export interface PartitionInfo {
  partition: number
  leader: number
  leaderEpoch: number
  replicas: number[]
  isr: number[]
  offline: number[]
  errorCode: number
}

export interface TopicInfo {
  name: string
  topicId: Uint8Array
  isInternal: boolean
  partitions: PartitionInfo[]
}

interface PoolEntry {
  connecting: Promise<KafkaConnection> | undefined
  connection: KafkaConnection | undefined
  deadUntil: number
  lastError: Error | undefined
  backoff: Backoff
}

export class KafkaCluster {
  readonly options: ClusterOptions
  readonly brokers = new Map<number, BrokerInfo>()
  readonly topics = new Map<string, TopicInfo>()
  clusterId: string | null = null
  controllerId = -1
  readonly #pool = new Map<string, PoolEntry>()
  readonly #coordinators = new Map<string, number>()
  #refreshing: Promise<void> | undefined
  #refreshTimer: ReturnType<typeof setInterval> | undefined
  #lastRefresh = 0
  #closed = false
  /** Topics someone asked for; a refresh of "known" topics covers these. */
  readonly #interest = new Set<string>()
  #bootstrapIndex = 0

  constructor(options: ClusterOptions) {
    this.options = options
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Fetches cluster metadata through a bootstrap address and starts the periodic refresh. */
  async connect(): Promise<void> {
    await this.refreshMetadata([])
    this.#refreshTimer = setInterval(
      () => {
        if (Date.now() - this.#lastRefresh < this.options.metadataMaxAgeMs) return
        this.refreshMetadata('known').catch(() => undefined)
      },
      Math.max(1000, Math.min(this.options.metadataMaxAgeMs, 30_000)),
    )
    this.#refreshTimer.unref()
  }

  #mapped(host: string, port: number): BrokerAddress {
    return this.options.mapAddress ? this.options.mapAddress(host, port) : { host, port }
  }

  #connectionOptions(address: BrokerAddress, nodeId: number, purpose: string): KafkaConnectionOptions {
    const o = this.options
    return {
      host: address.host,
      port: address.port,
      nodeId,
      clientId: o.clientId,
      tls: o.tls,
      sasl: o.sasl,
      connectTimeoutMs: o.connectTimeoutMs,
      requestTimeoutMs: o.requestTimeoutMs,
      maxInFlight: o.maxInFlight,
      maxFrameBytes: o.maxFrameBytes,
      purpose,
    }
  }

  /**
   * The pooled connection to `nodeId` for `purpose` when it is open and ready right now, else
   * undefined (then `connection()` opens one). Lets a hot path skip a promise hop.
   */
  readyConnection(nodeId: number, purpose: ConnectionPurpose): KafkaConnection | undefined {
    if (this.#closed) return undefined
    const conn = this.#pool.get(`${nodeId}/${purpose}`)?.connection
    return conn?.ready ? conn : undefined
  }

  /** A ready connection to node `nodeId` for `purpose`; honours the dead-connection cool-down. */
  async connection(nodeId: number, purpose: ConnectionPurpose): Promise<KafkaConnection> {
    if (this.#closed) throw new ClosedError('Kafka client is closed')
    const key = `${nodeId}/${purpose}`
    let entry = this.#pool.get(key)
    if (!entry) {
      entry = {
        connecting: undefined,
        connection: undefined,
        deadUntil: 0,
        lastError: undefined,
        backoff: new Backoff({
          initialMs: this.options.reconnectInitialMs,
          maxMs: this.options.reconnectMaxMs,
        }),
      }
      this.#pool.set(key, entry)
    }
    if (entry.connection?.ready) return entry.connection
    if (entry.connecting) return entry.connecting
    if (Date.now() < entry.deadUntil && entry.lastError) throw entry.lastError
    const broker = this.brokers.get(nodeId)
    if (!broker) {
      throw new ConnectionError(`broker ${nodeId} is not in the cluster metadata`, { retriable: true })
    }
    const pool = entry
    pool.connection = undefined
    pool.connecting = KafkaConnection.open(
      this.#connectionOptions(this.#mapped(broker.host, broker.port), nodeId, purpose),
    ).then(
      (conn) => {
        pool.connecting = undefined
        if (this.#closed) {
          conn.destroy()
          throw new ClosedError('Kafka client is closed')
        }
        pool.connection = conn
        pool.backoff.reset()
        conn.onClose((err) => {
          if (pool.connection !== conn) return
          pool.connection = undefined
          // A connection that died (rather than being closed by us) starts the cool-down.
          if (err && !(err instanceof ClosedError)) this.#markDead(pool, err)
        })
        return conn
      },
      (err: Error) => {
        pool.connecting = undefined
        this.#markDead(pool, err)
        throw err
      },
    )
    return pool.connecting
  }

  #markDead(entry: PoolEntry, err: Error): void {
    entry.lastError = err
    entry.deadUntil = Date.now() + entry.backoff.next()
  }

  /**
   * Any usable connection for cluster-wide requests (metadata, admin): a known broker if there
   * is one, else the bootstrap addresses in turn.
   */
  async anyConnection(purpose: ConnectionPurpose = 'admin'): Promise<KafkaConnection> {
    let lastError: Error | undefined
    const ids = [...this.brokers.keys()]
    // Prefer a node we already have a socket to.
    ids.sort(
      (a, b) =>
        Number(!!this.#pool.get(`${b}/${purpose}`)?.connection?.ready) -
        Number(!!this.#pool.get(`${a}/${purpose}`)?.connection?.ready),
    )
    for (const id of ids) {
      try {
        return await this.connection(id, purpose)
      } catch (err) {
        lastError = err as Error
      }
    }
    // No broker known or none reachable: fall back to the bootstrap list (the cluster may have
    // moved entirely, e.g. every broker restarted on new ports behind the same bootstrap names).
    const list = this.options.bootstrap
    for (let i = 0; i < list.length; i++) {
      const addr = list[(this.#bootstrapIndex + i) % list.length]!
      try {
        const conn = await KafkaConnection.open(
          this.#connectionOptions(this.#mapped(addr.host, addr.port), -1, `bootstrap ${purpose}`),
        )
        this.#bootstrapIndex = (this.#bootstrapIndex + i) % list.length
        return conn
      } catch (err) {
        if (err instanceof ConduitError && err.code === 'CONDUIT_AUTHENTICATION') throw err
        lastError = err as Error
      }
    }
    throw new ConnectionError(
      `no Kafka broker reachable (tried ${ids.length} known brokers and bootstrap ${list.map((a) => `${a.host}:${a.port}`).join(', ')})` +
        (lastError ? `: ${lastError.message}` : ''),
      { cause: lastError },
    )
  }

  /** Runs `fn` on a cluster-wide connection, closing it afterwards if it was a bootstrap one. */
  async withAnyConnection<T>(
    purpose: ConnectionPurpose,
    fn: (conn: KafkaConnection) => Promise<T>,
  ): Promise<T> {
    const conn = await this.anyConnection(purpose)
    try {
      return await fn(conn)
    } finally {
      if (conn.nodeId === -1) conn.destroy()
    }
  }

  /**
   * Refreshes metadata for `topics` ('all' every topic, 'known' the topics of interest so far, a
   * list those plus the known ones). Concurrent calls share the in-flight request when it covers
   * what they need.
   */
  async refreshMetadata(topics: readonly string[] | 'all' | 'known' = 'known'): Promise<void> {
    if (this.#closed) throw new ClosedError('Kafka client is closed')
    if (Array.isArray(topics)) for (const t of topics) this.#interest.add(t)
    if (this.#refreshing && topics !== 'all') {
      await this.#refreshing.catch(() => undefined)
      if (Array.isArray(topics) && topics.every((t) => this.topics.has(t))) return
    }
    const wanted = topics === 'all' ? null : [...this.#interest]
    const run = this.withAnyConnection('admin', async (conn) => {
      const res = await conn.request(ApiKey.Metadata, {
        topics: wanted === null ? null : wanted.map((name) => ({ name })),
        // A refresh never creates: a topic deleted meanwhile must stay deleted (Kafka's
        // auto.create.topics.enable defaults to true, and every interested topic is asked for here).
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      })
      this.#applyMetadata(res, wanted === null)
    })
    this.#refreshing = run
    try {
      await run
    } finally {
      if (this.#refreshing === run) this.#refreshing = undefined
    }
  }

  #applyMetadata(res: any, all: boolean): void {
    this.#lastRefresh = Date.now()
    this.clusterId = res.clusterId
    this.controllerId = res.controllerId
    const seen = new Set<number>()
    for (const b of res.brokers) {
      seen.add(b.nodeId)
      const old = this.brokers.get(b.nodeId)
      if (old && (old.host !== b.host || old.port !== b.port)) this.#dropNode(b.nodeId)
      this.brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })
    }
    for (const id of [...this.brokers.keys()]) {
      if (!seen.has(id)) {
        this.brokers.delete(id)
        this.#dropNode(id)
      }
    }
    if (all) {
      const names = new Set(res.topics.map((t: { name: string }) => t.name))
      for (const name of [...this.topics.keys()]) if (!names.has(name)) this.topics.delete(name)
    }
    for (const t of res.topics) {
      if (t.errorCode !== 0) {
        // A topic the broker does not know (any more) is dropped, and leaves the interest set so
        // later refreshes stop asking for it; a producer or consumer using it looks it up again.
        this.topics.delete(t.name)
        if (t.errorCode === UNKNOWN_TOPIC_OR_PARTITION) this.#interest.delete(t.name)
        continue
      }
      const partitions: PartitionInfo[] = []
      for (const p of t.partitions) {
        partitions[p.partitionIndex] = {
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offline: p.offlineReplicas ?? [],
          errorCode: p.errorCode,
        }
      }
      this.topics.set(t.name, { name: t.name, topicId: t.topicId, isInternal: t.isInternal, partitions })
    }
  }

  #dropNode(nodeId: number): void {
    for (const [key, entry] of this.#pool) {
      if (key.startsWith(`${nodeId}/`)) {
        entry.connection?.destroy(new ConnectionError(`broker ${nodeId} moved or left the cluster`))
        this.#pool.delete(key)
      }
    }
  }

  /**
   * Metadata of one topic; fetched when unknown. Throws the broker's error (retriable
   * UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE while a new topic settles) after `timeoutMs`.
   */
  async topic(
    name: string,
    timeoutMs = this.options.requestTimeoutMs,
    lookup: TopicLookupOptions = {},
  ): Promise<TopicInfo> {
    this.#interest.add(name)
    const known = this.topics.get(name)
    if (known && known.partitions.length > 0) return known
    const deadline = Date.now() + timeoutMs
    const backoff = new Backoff({ initialMs: 50, maxMs: 1000 })
    for (;;) {
      let error: Error | undefined
      try {
        await this.withAnyConnection('admin', async (conn) => {
          const res = await conn.request(ApiKey.Metadata, {
            topics: [{ name }],
            allowAutoTopicCreation: lookup.autoCreate === true,
            includeTopicAuthorizedOperations: false,
          })
          this.#applyMetadata(
            { ...res, topics: res.topics.filter((t) => t.name === name || t.errorCode === 0) },
            false,
          )
          const t = res.topics.find((x) => x.name === name)
          if (t && t.errorCode !== 0) error = kafkaError(t.errorCode, `Metadata for topic "${name}"`)
        })
      } catch (err) {
        error = err as Error
      }
      const found = this.topics.get(name)
      if (found && found.partitions.length > 0 && found.partitions.every((p) => p.leader >= 0)) return found
      const retriable = !error || (error instanceof ConduitError && error.retriable)
      if (!retriable) throw error!
      if (
        lookup.failIfMissing &&
        error instanceof BrokerError &&
        error.brokerCode === UNKNOWN_TOPIC_OR_PARTITION
      ) {
        this.#interest.delete(name)
        throw error
      }
      if (Date.now() + 50 > deadline) {
        if (found && found.partitions.length > 0) return found
        throw (
          error ?? new TimeoutError(`topic "${name}" has no leader for every partition after ${timeoutMs} ms`)
        )
      }
      await sleep(Math.min(backoff.next(), Math.max(0, deadline - Date.now())))
    }
  }

  /** Forgets a topic (after deleting it): no later refresh asks for it until someone uses it again. */
  forget(name: string): void {
    this.topics.delete(name)
    this.#interest.delete(name)
  }

  /** Leader node of a partition from the cached metadata, or -1 when unknown/leaderless. */
  leaderOf(topic: string, partition: number): number {
    return this.topics.get(topic)?.partitions[partition]?.leader ?? -1
  }

  /** Whether an error code means our metadata is stale; schedules a refresh if so. */
  noteError(errorCode: number): boolean {
    const refresh = kafkaErrorInfo(errorCode).refreshMetadata
    if (refresh) this.refreshMetadata('known').catch(() => undefined)
    return refresh
  }

  /** Node id of the coordinator for a group (keyType 0) or transactional id (1). */
  async coordinator(key: string, keyType: 0 | 1 = 0): Promise<number> {
    const cacheKey = `${keyType}/${key}`
    const cached = this.#coordinators.get(cacheKey)
    if (cached !== undefined && this.brokers.has(cached)) return cached
    const backoff = new Backoff({ initialMs: 50, maxMs: 1000 })
    const deadline = Date.now() + this.options.requestTimeoutMs
    for (;;) {
      const res = await this.withAnyConnection('admin', (conn) =>
        conn.request(ApiKey.FindCoordinator, { key, keyType, coordinatorKeys: [key] }),
      )
      // v4+ answers per key in `coordinators`; older versions at the top level.
      const c = res.coordinators?.length ? res.coordinators[0] : res
      if (c.errorCode === 0) {
        if (!this.brokers.has(c.nodeId)) {
          this.brokers.set(c.nodeId, { nodeId: c.nodeId, host: c.host, port: c.port, rack: null })
        }
        this.#coordinators.set(cacheKey, c.nodeId)
        return c.nodeId
      }
      const err = kafkaError(c.errorCode, `FindCoordinator for "${key}"`, c.errorMessage)
      if (!err.retriable || Date.now() > deadline) throw err
      await sleep(backoff.next())
    }
  }

  forgetCoordinator(key: string, keyType: 0 | 1 = 0): void {
    this.#coordinators.delete(`${keyType}/${key}`)
  }

  /** Closes the connections of one purpose on every node (a group member that left). */
  closePurpose(purpose: ConnectionPurpose): void {
    for (const [key, entry] of this.#pool) {
      if (key.slice(key.indexOf('/') + 1) !== purpose) continue
      this.#pool.delete(key)
      void entry.connection?.close()
      entry.connecting?.then((c) => c.destroy()).catch(() => undefined)
    }
  }

  /** Closes every connection. In-flight requests fail with ConnectionError. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#refreshTimer)
    const closing: Promise<void>[] = []
    for (const [key, entry] of this.#pool) {
      // Produce sockets close gracefully (an acks=0 write may still be in the socket buffer);
      // the others only carry fetches and lookups nobody waits for any more.
      if (entry.connection && key.endsWith('/produce')) closing.push(entry.connection.close())
      else entry.connection?.destroy()
      entry.connecting?.then((c) => c.destroy()).catch(() => undefined)
    }
    this.#pool.clear()
    await Promise.all(closing)
  }
}

/** Parses `h:p,h:p,[::1]:p` (the part of a kafka:// URL after the scheme) into addresses. */
export function parseBrokerList(list: string, defaultPort = 9092): BrokerAddress[] {
  const out: BrokerAddress[] = []
  for (const raw of list.split(',')) {
    const item = raw.trim()
    if (item === '') continue
    let host: string
    let port = defaultPort
    const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(item)
    if (v6) {
      host = v6[1]!
      if (v6[2]) port = Number(v6[2])
    } else {
      const colons = item.split(':').length - 1
      if (colons > 1) {
        host = item // bare IPv6 without a port
      } else if (colons === 1) {
        const [h, p] = item.split(':')
        host = h!
        port = Number(p)
      } else {
        host = item
      }
    }
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new ConfigError(`invalid Kafka broker address "${item}": expected host:port or [ipv6]:port`)
    }
    out.push({ host, port })
  }
  return out
}

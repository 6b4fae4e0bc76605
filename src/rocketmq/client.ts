// The cluster view shared by every producer and consumer of one `RocketMQClient` (the Java
// client's MQClientInstance; seed 002's broker registry): one connection per broker address
// (`getOrNewBroker`), topic routes from the name servers refreshed periodically, heartbeats
// that tell every broker which producer and consumer groups live here, and the routing of
// requests brokers send to the client to the producer or consumer that owns them.
//
// Shutdown order: owners unregister first (producers drain, consumers persist offsets), then
// UNREGISTER_CLIENT goes to every broker, then connections close.

import type tls from 'node:tls'
import { randomBytes } from 'node:crypto'
import { ClosedError, ConfigError, ProtocolError } from '../core/errors.ts'
import { RemotingConnection, brokerErrorOf, type AclCredentials, type RequestHandler } from './connection.ts'
import { NameServers } from './name-server.ts'
import { RequestCode, ResponseCode } from './protocol/codes.ts'
import { encodeHeartbeat, type ConsumerData } from './protocol/heartbeat.ts'
import { unregisterHeader } from './protocol/headers.ts'
import type { SerializeType } from './protocol/remoting-command.ts'
import { createRequest, createResponse, type RemotingCommand } from './protocol/remoting-command.ts'
import { masterAddress, type TopicRoute } from './protocol/route.ts'

export interface ClientOptions {
  nameServers: readonly string[]
  credentials?: AclCredentials
  tls?: tls.ConnectionOptions | boolean
  /** Applied to every broker address learned from the name server (tests route through a proxy). */
  mapAddress?: (host: string, port: number) => { host: string; port: number }
  requestTimeoutMs?: number
  connectTimeoutMs?: number
  /** Route refresh period. Default 30 s (Java pollNameServerInterval). */
  routeRefreshMs?: number
  /** Heartbeat period. Default 30 s (Java heartbeatBrokerInterval). */
  heartbeatMs?: number
  serializeType?: SerializeType
  /** Identifies this client to brokers; must differ between group members. Default generated. */
  clientId?: string
  /**
   * Largest frame accepted from a name server or broker (default 16 MiB + 64 KiB, the Java
   * client's bound); a larger one closes the connection with a ProtocolError before allocating.
   */
  maxFrameBytes?: number
}

/** What a producer group registers so that broker → client requests reach it. */
export interface ProducerOwner {
  readonly group: string
  handleBrokerRequest?(
    request: RemotingCommand,
    connection: RemotingConnection,
  ): Promise<RemotingCommand | null>
}

export interface ConsumerOwner {
  readonly group: string
  consumerData(): ConsumerData
  handleBrokerRequest(
    request: RemotingCommand,
    connection: RemotingConnection,
  ): Promise<RemotingCommand | null>
}

export type RouteListener = (topic: string, route: TopicRoute) => void

let clientCounter = 0

export class RocketMQClient {
  readonly clientId: string
  readonly options: ClientOptions
  readonly nameServers: NameServers
  readonly #brokers = new Map<string, RemotingConnection>()
  readonly #routes = new Map<string, TopicRoute>()
  readonly #routeFetches = new Map<string, Promise<TopicRoute | undefined>>()
  readonly #producers = new Map<string, ProducerOwner>()
  readonly #consumers = new Map<string, ConsumerOwner>()
  readonly #routeListeners = new Set<RouteListener>()
  /** Extra handlers by request code (request-reply registers PUSH_REPLY_MESSAGE_TO_CLIENT). */
  readonly #handlers = new Map<number, RequestHandler>()
  readonly #timers: ReturnType<typeof setInterval>[] = []
  #closing = false
  #closed = false

  constructor(options: ClientOptions) {
    if (options.nameServers.length === 0)
      throw new ConfigError('rocketmq: at least one name server is needed')
    this.options = options
    this.clientId =
      options.clientId ?? `127.0.0.1@${process.pid}#${++clientCounter}-${randomBytes(4).toString('hex')}`
    this.nameServers = new NameServers(options.nameServers, {
      credentials: options.credentials,
      requestTimeoutMs: options.requestTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      serializeType: options.serializeType,
      tls: options.tls,
      maxFrameBytes: options.maxFrameBytes,
    })
    const refresh = setInterval(() => void this.refreshRoutes(), options.routeRefreshMs ?? 30_000)
    const heartbeat = setInterval(
      () => void this.heartbeatAll().catch(() => {}),
      options.heartbeatMs ?? 30_000,
    )
    refresh.unref()
    heartbeat.unref()
    this.#timers.push(refresh, heartbeat)
  }

  get closed(): boolean {
    return this.#closed
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('rocketmq client is closed')
  }

  /** The one connection to a broker address, created on first use. */
  getOrNewBroker(address: string): RemotingConnection {
    this.#assertOpen()
    let conn = this.#brokers.get(address)
    if (!conn) {
      conn = new RemotingConnection({
        address,
        mapAddress: this.options.mapAddress,
        tls: this.options.tls,
        credentials: this.options.credentials,
        requestTimeoutMs: this.options.requestTimeoutMs,
        connectTimeoutMs: this.options.connectTimeoutMs,
        serializeType: this.options.serializeType,
        maxFrameBytes: this.options.maxFrameBytes,
        onRequest: (request, connection) => this.#dispatch(request, connection),
      })
      this.#brokers.set(address, conn)
    }
    return conn
  }

  brokerConnections(): RemotingConnection[] {
    return [...this.#brokers.values()]
  }

  onRequestCode(code: number, handler: RequestHandler): () => void {
    this.#handlers.set(code, handler)
    return () => this.#handlers.delete(code)
  }

  async #dispatch(request: RemotingCommand, connection: RemotingConnection): Promise<RemotingCommand | null> {
    const group = request.extFields.consumerGroup
    switch (request.code) {
      case RequestCode.NOTIFY_CONSUMER_IDS_CHANGED:
      case RequestCode.GET_CONSUMER_RUNNING_INFO:
      case RequestCode.CONSUME_MESSAGE_DIRECTLY: {
        const owner = group === undefined ? undefined : this.#consumers.get(group)
        if (!owner)
          return createResponse(
            request,
            ResponseCode.SYSTEM_ERROR,
            `no consumer of group ${group ?? '?'} in ${this.clientId}`,
          )
        return owner.handleBrokerRequest(request, connection)
      }
      case RequestCode.CHECK_TRANSACTION_STATE: {
        // The producer group is a property of the half message in the body; each transactional
        // producer answers only for its own group (and ignores the rest).
        for (const owner of this.#producers.values()) {
          if (owner.handleBrokerRequest) {
            const answer = await owner.handleBrokerRequest(request, connection)
            if (answer !== null) return answer
          }
        }
        return null
      }
      default: {
        const handler = this.#handlers.get(request.code)
        if (handler) return handler(request, connection)
        return createResponse(
          request,
          ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
          `request code ${request.code} not supported by conduit`,
        )
      }
    }
  }

  // ---- routes ----

  onRouteChange(listener: RouteListener): () => void {
    this.#routeListeners.add(listener)
    return () => this.#routeListeners.delete(listener)
  }

  /** The cached route of a topic, fetched from the name server when missing or when `refresh`. */
  async route(topic: string, refresh = false): Promise<TopicRoute | undefined> {
    this.#assertOpen()
    if (!refresh) {
      const cached = this.#routes.get(topic)
      if (cached) return cached
    }
    let fetch = this.#routeFetches.get(topic)
    if (!fetch) {
      fetch = this.nameServers.topicRoute(topic).finally(() => this.#routeFetches.delete(topic))
      this.#routeFetches.set(topic, fetch)
    }
    const route = await fetch
    if (route) this.#setRoute(topic, route)
    return route
  }

  /** The cached route, without asking the name server. */
  cachedRoute(topic: string): TopicRoute | undefined {
    return this.#routes.get(topic)
  }

  #setRoute(topic: string, route: TopicRoute): void {
    const before = this.#routes.get(topic)
    this.#routes.set(topic, route)
    if (!before || routeSignature(before) !== routeSignature(route)) {
      for (const l of this.#routeListeners) l(topic, route)
    }
  }

  /** Re-reads every known route; a name server that cannot be reached keeps the old routes. */
  async refreshRoutes(): Promise<void> {
    if (this.#closed) return
    await Promise.all(
      [...this.#routes.keys()].map(async (topic) => {
        try {
          await this.route(topic, true)
        } catch {
          // keep the cached route until a name server answers again
        }
      }),
    )
  }

  /** The master address of a broker name from any cached route. */
  brokerAddress(brokerName: string): string | undefined {
    for (const route of this.#routes.values()) {
      const addr = masterAddress(route, brokerName)
      if (addr) return addr
    }
    return undefined
  }

  async brokerAddressOrRefresh(brokerName: string, topic: string): Promise<string> {
    let addr = this.brokerAddress(brokerName)
    if (!addr) {
      const route = await this.route(topic, true)
      addr = route ? masterAddress(route, brokerName) : undefined
    }
    if (!addr)
      throw new ProtocolError(`no master address known for broker ${brokerName} (topic ${topic})`, {
        retriable: true,
      })
    return addr
  }

  /**
   * Where to pull a queue from: the broker node `brokerId` of `brokerName` when the route knows
   * it (the broker's pull-from-slave suggestion), else the master, else any node of that name —
   * as the Java client's findBrokerAddressInSubscribe. The answer says which node it is, because
   * a slave cannot take a commit offset.
   */
  async pullAddress(
    brokerName: string,
    topic: string,
    brokerId: number,
  ): Promise<{ address: string; brokerId: number }> {
    const find = (route: TopicRoute | undefined): { address: string; brokerId: number } | undefined => {
      const addrs = route?.brokers.find((b) => b.brokerName === brokerName)?.brokerAddrs
      if (!addrs) return undefined
      for (const id of [brokerId, 0]) {
        const address = addrs.get(id)
        if (address) return { address, brokerId: id }
      }
      const first = [...addrs].sort((a, b) => a[0] - b[0])[0]
      return first ? { address: first[1], brokerId: first[0] } : undefined
    }
    const found = find(this.#routes.get(topic)) ?? find(await this.route(topic, true))
    if (!found)
      throw new ProtocolError(`no address known for broker ${brokerName} (topic ${topic})`, {
        retriable: true,
      })
    return found
  }

  /** Every master broker address in the cached routes. */
  masterAddresses(): string[] {
    const out = new Set<string>()
    for (const route of this.#routes.values()) {
      for (const b of route.brokers) {
        const addr = b.brokerAddrs.get(0)
        if (addr) out.add(addr)
      }
    }
    return [...out]
  }

  // ---- membership ----

  registerProducer(owner: ProducerOwner): void {
    this.#assertOpen()
    if (this.#producers.has(owner.group))
      throw new ConfigError(`producer group ${owner.group} is already registered on this client`)
    this.#producers.set(owner.group, owner)
  }

  registerConsumer(owner: ConsumerOwner): void {
    this.#assertOpen()
    if (this.#consumers.has(owner.group))
      throw new ConfigError(`consumer group ${owner.group} is already registered on this client`)
    this.#consumers.set(owner.group, owner)
  }

  /** Removes an owner and tells every broker it left (so rebalances stop counting it at once). */
  async unregister(kind: 'producer' | 'consumer', group: string): Promise<void> {
    const map = kind === 'producer' ? this.#producers : this.#consumers
    if (!map.delete(group)) return
    // The broker forgets this client's channel for *every* producer group when one producer
    // group unregisters (ProducerManager removes it by client id, and later heartbeats of the
    // other groups do not restore it), which would break their replies and check-backs. While
    // other producer groups remain, the closed group is left to expire from missing heartbeats.
    if (kind === 'producer' && this.#producers.size > 0 && !this.#closing) return
    const header =
      kind === 'producer'
        ? unregisterHeader(this.clientId, group)
        : unregisterHeader(this.clientId, undefined, group)
    await Promise.all(
      this.masterAddresses().map(async (addr) => {
        try {
          await this.getOrNewBroker(addr).request(createRequest(RequestCode.UNREGISTER_CLIENT, header), 3000)
        } catch {
          // the broker drops us after its channel expiry anyway
        }
      }),
    )
  }

  #heartbeatBody(): Uint8Array {
    return encodeHeartbeat({
      clientID: this.clientId,
      producerDataSet: [...this.#producers.keys()].map((groupName) => ({ groupName })),
      consumerDataSet: [...this.#consumers.values()].map((c) => c.consumerData()),
    })
  }

  /** Sends one heartbeat to one broker; failures are thrown (the caller decides). */
  async heartbeat(address: string): Promise<void> {
    await this.getOrNewBroker(address).invoke(
      createRequest(RequestCode.HEART_BEAT, {}, this.#heartbeatBody()),
      'heartbeat',
    )
  }

  readonly #heartbeated = new Set<string>()

  /**
   * Heartbeats a broker once before the first request to it, so it knows this client's groups
   * right away (transaction check-backs and replies find the client by them), not after 30 s.
   */
  async ensureHeartbeat(address: string): Promise<void> {
    if (this.#heartbeated.has(address)) return
    this.#heartbeated.add(address)
    await this.heartbeat(address).catch(() => this.#heartbeated.delete(address))
  }

  /** Heartbeats every master broker; rejects with the first failure after trying all. */
  async heartbeatAll(): Promise<void> {
    if (this.#closed || (this.#producers.size === 0 && this.#consumers.size === 0)) return
    const results = await Promise.allSettled(this.masterAddresses().map((addr) => this.heartbeat(addr)))
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }

  /** Client ids of the members of a consumer group, as the broker at `address` sees them. */
  async consumerIds(address: string, group: string): Promise<string[]> {
    const response = await this.getOrNewBroker(address).request(
      createRequest(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: group }),
    )
    // An empty group is answered with SYSTEM_ERROR "no consumer for this group, <group>".
    if (
      response.code === ResponseCode.SYSTEM_ERROR &&
      /^no consumer for this group/.test(response.remark ?? '')
    )
      return []
    if (response.code !== ResponseCode.SUCCESS) throw brokerErrorOf(response, `consumer list of ${group}`)
    if (!response.body) return []
    const text = new TextDecoder().decode(response.body)
    let parsed: { consumerIdList?: unknown }
    try {
      parsed = JSON.parse(text) as { consumerIdList?: unknown }
    } catch (cause) {
      throw new ProtocolError('consumer list body is not JSON', { cause })
    }
    return Array.isArray(parsed.consumerIdList) ? parsed.consumerIdList.map(String) : []
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closing = true
    for (const t of this.#timers) clearInterval(t)
    for (const group of [...this.#consumers.keys()]) await this.unregister('consumer', group)
    for (const group of [...this.#producers.keys()]) await this.unregister('producer', group)
    this.#closed = true
    await Promise.all([...this.#brokers.values()].map((c) => c.close()))
    await this.nameServers.close()
  }
}

function routeSignature(route: TopicRoute): string {
  return JSON.stringify({
    b: route.brokers.map((b) => [b.brokerName, [...b.brokerAddrs.entries()].sort()]).sort(),
    q: route.queues.map((q) => [q.brokerName, q.readQueueNums, q.writeQueueNums, q.perm]).sort(),
  })
}

// One socket to one Pulsar broker (the `Pulsar.Broker` of seed 000, minus the cluster view):
//
//   disconnected → connecting → handshaking → ready → closing → closed
//
// The states are the shared machine of src/core/connection-state.ts, so every change is published
// on `conduit:connection:state` (driver 'pulsar'); each request with a request id publishes
// `conduit:request:start` and then `…:end` or `…:error`, as the Kafka driver does.
//
// It performs CONNECT/CONNECTED (with auth and AUTH_CHALLENGE refresh), correlates responses to
// requests by request id with a timeout each, answers and sends PING/PONG, and routes what the
// broker pushes (MESSAGE, SEND_RECEIPT, CLOSE_PRODUCER, …) to the producer or consumer registered
// under that id. It never reconnects by itself: when the socket dies every registered producer and
// consumer is told, and each of them reconnects through the client (a fresh lookup may send it to
// another broker after an unload or failover, so re-creating them here would be wrong).

import type tls from 'node:tls'
import { StateMachine } from '../core/connection-state.ts'
import type { ConnectionState } from '../core/connection-state.ts'
import { CorrelationMap } from '../core/correlation.ts'
import { channels } from '../core/diagnostics.ts'
import { ClosedError, ConnectionError, ProtocolError, TimeoutError } from '../core/errors.ts'
import { FramedSocket } from '../core/framed-socket.ts'
import { KeepAlive } from '../core/keepalive.ts'
import type { AuthProvider } from './auth.ts'
import { CommandType, commandName, encodeCommand } from './protocol/commands.ts'
import type { BaseCommand, CommandInit } from './protocol/commands.ts'
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  FRAME_OVERHEAD,
  decodeFrame,
  encodePayloadFrame,
  encodeSimpleFrame,
} from './protocol/frame.ts'
import type { DecodedFrame } from './protocol/frame.ts'
import { brokerError } from './protocol/server-errors.ts'
import {
  CommandLookupTopicResponse_LookupType,
  CommandPartitionedTopicMetadataResponse_LookupType,
  CommandTopicMigrated_ResourceType,
} from './protocol/generated/pulsar-api_pb.ts'

export const CLIENT_VERSION = 'conduit-0.1.0'
/** v20 adds TOPIC_MIGRATED; everything this client uses is older. */
export const PROTOCOL_VERSION = 20

export type { ConnectionState }

/** Default bound of one incoming frame (and of one message's decompressed size): 128 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 128 * 1024 * 1024

/** What a producer or consumer registered on a connection receives. */
export interface ConnectionListener {
  /** A command for this producer or consumer (with payload for MESSAGE). */
  onCommand(frame: DecodedFrame): void
  /** The connection died or was closed; the listener must reconnect or fail. */
  onConnectionClosed(err: Error): void
}

export interface ConnectionOptions {
  host: string
  port: number
  tls?: tls.ConnectionOptions | boolean
  auth?: AuthProvider
  connectTimeoutMs?: number
  /** Timeout of each request (lookup, subscribe, …). Default 30 000 ms. */
  operationTimeoutMs?: number
  /** Send PING after this long without inbound traffic; close after twice that. Default 30 000 ms. */
  keepAliveMs?: number
  /** When connecting through a Pulsar proxy: the broker the proxy must forward to. */
  proxyToBrokerUrl?: string
  /**
   * Largest frame accepted from the broker; a larger declared length kills the connection before
   * anything is allocated. Default 128 MiB.
   */
  maxFrameBytes?: number
  signal?: AbortSignal
}

export class PulsarConnection {
  readonly address: string
  readonly #opts: ConnectionOptions
  readonly #requests = new CorrelationMap<bigint, BaseCommand>()
  readonly #producers = new Map<bigint, ConnectionListener>()
  readonly #consumers = new Map<bigint, ConnectionListener>()
  readonly #watchers = new Map<bigint, (cmd: BaseCommand) => void>()
  readonly #closeListeners: Array<(err: Error) => void> = []
  /** Every state change, also published on the `conduit:connection:state` channel. */
  readonly states: StateMachine
  #socket_: FramedSocket | undefined
  #nextRequestId = 0n
  #keepAlive: KeepAlive | undefined
  #closeError: Error | undefined
  serverVersion = ''
  protocolVersion = 0
  maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE

  private constructor(opts: ConnectionOptions) {
    this.#opts = opts
    this.address = `${opts.host}:${opts.port}`
    this.states = new StateMachine({ driver: 'pulsar', connection: this.address })
  }

  /** Set once the TCP/TLS connect succeeded; every use is after that. */
  get #socket(): FramedSocket {
    return this.#socket_!
  }

  /**
   * Opens the socket and completes the CONNECT handshake. `onState` sees the first transitions too
   * (they happen before this resolves), e.g. to follow a connection that never gets ready.
   */
  static async connect(
    opts: ConnectionOptions,
    onState?: Parameters<StateMachine['onChange']>[0],
  ): Promise<PulsarConnection> {
    const conn = new PulsarConnection(opts)
    if (onState) conn.states.onChange(onState)
    conn.states.transition('connecting')
    try {
      conn.#socket_ = await FramedSocket.connect({
        host: opts.host,
        port: opts.port,
        tls: opts.tls,
        connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
        // The broker's max message size (CONNECTED) is checked per message on receive; this is
        // the client's own bound, checked before a frame's bytes are buffered.
        maxFrameBytes: opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
        signal: opts.signal,
      })
    } catch (err) {
      // This connection never reconnects by itself (its owners do, through the client): a
      // failed connect is final.
      conn.states.transition('closed', err as Error)
      throw err
    }
    conn.states.transition('handshaking')
    try {
      await conn.#handshake()
    } catch (err) {
      conn.#socket.destroy()
      conn.#finish(err as Error)
      throw err
    }
    return conn
  }

  get state(): ConnectionState {
    return this.states.state
  }

  get #state(): ConnectionState {
    return this.states.state
  }

  get isUsable(): boolean {
    return this.#state === 'ready'
  }

  /** The client's bound on one frame (and on one message's decompressed size). */
  get maxFrameBytes(): number {
    return this.#opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
  }

  newRequestId(): bigint {
    return this.#nextRequestId++
  }

  /** Registered producers by producer id. */
  get producers(): ReadonlyMap<bigint, ConnectionListener> {
    return this.#producers
  }

  /** Registered consumers by consumer id. */
  get consumers(): ReadonlyMap<bigint, ConnectionListener> {
    return this.#consumers
  }

  registerProducer(id: bigint, listener: ConnectionListener): void {
    this.#producers.set(id, listener)
  }

  unregisterProducer(id: bigint, listener?: ConnectionListener): void {
    if (!listener || this.#producers.get(id) === listener) this.#producers.delete(id)
  }

  registerConsumer(id: bigint, listener: ConnectionListener): void {
    this.#consumers.set(id, listener)
  }

  unregisterConsumer(id: bigint, listener?: ConnectionListener): void {
    if (!listener || this.#consumers.get(id) === listener) this.#consumers.delete(id)
  }

  registerWatcher(id: bigint, onUpdate: (cmd: BaseCommand) => void): void {
    this.#watchers.set(id, onUpdate)
  }

  unregisterWatcher(id: bigint): void {
    this.#watchers.delete(id)
  }

  /** Called once when the connection ends, with why. */
  onClose(listener: (err: Error) => void): void {
    if (this.#closeError) queueMicrotask(() => listener(this.#closeError!))
    else this.#closeListeners.push(listener)
  }

  /**
   * Sends a command that carries `requestId` and resolves with the broker's answer. ERROR answers
   * and failed lookups reject with a BrokerError; a dead connection with a ConnectionError.
   */
  sendRequest(
    requestId: bigint,
    command: CommandInit,
    opts: { timeoutMs?: number; what?: string } = {},
  ): Promise<BaseCommand> {
    if (this.#state !== 'ready' && this.#state !== 'handshaking') {
      return Promise.reject(
        this.#closeError ?? new ClosedError(`connection to ${this.address} is ${this.#state}`),
      )
    }
    const what = opts.what ?? `${commandName(command.type ?? 0)} to ${this.address}`
    const response = this.#requests.register(requestId, {
      timeoutMs: opts.timeoutMs ?? this.#opts.operationTimeoutMs ?? 30_000,
      what,
    })
    const observed = this.#observe(requestId, command, response)
    this.#writeRequest(requestId, command)
    return observed
  }

  /**
   * Publishes request start/end/error when someone listens; without a subscriber no clock is read
   * and the response promise is returned as it is.
   */
  #observe(requestId: bigint, command: CommandInit, response: Promise<BaseCommand>): Promise<BaseCommand> {
    const { requestStart, requestEnd, requestError } = channels
    if (!requestStart.hasSubscribers && !requestEnd.hasSubscribers && !requestError.hasSubscribers) {
      return response
    }
    const operation = commandName(command.type ?? 0)
    const base = { driver: 'pulsar', connection: this.address, operation, requestId }
    if (requestStart.hasSubscribers) requestStart.publish(base)
    const started = performance.now()
    return response.then(
      (cmd) => {
        if (requestEnd.hasSubscribers)
          requestEnd.publish({ ...base, durationMs: performance.now() - started })
        return cmd
      },
      (err: unknown) => {
        if (requestError.hasSubscribers)
          requestError.publish({ ...base, durationMs: performance.now() - started, error: err as Error })
        throw err
      },
    )
  }

  /** Writes a request; if the socket refuses, the request fails now instead of dangling. */
  #writeRequest(requestId: bigint, command: CommandInit): void {
    try {
      this.#socket.write(encodeSimpleFrame(encodeCommand(command)))
    } catch (err) {
      this.#requests.reject(requestId, err instanceof Error ? err : new ConnectionError(String(err)))
    }
  }

  /** Sends a command that has no response (FLOW, ACK without receipt, REDELIVER…). */
  sendCommand(command: CommandInit): boolean {
    if (this.#state !== 'ready')
      throw this.#closeError ?? new ClosedError(`connection to ${this.address} is ${this.#state}`)
    return this.#socket.write(encodeSimpleFrame(encodeCommand(command)))
  }

  /**
   * Publishes a pre-encoded message: SEND command bytes, MessageMetadata bytes and payload.
   * Returns false when the socket buffer is full (await `waitWritable()` before sending more).
   */
  sendPayload(command: Uint8Array, metadata: Uint8Array, payload: Uint8Array): boolean {
    if (this.#state !== 'ready')
      throw this.#closeError ?? new ClosedError(`connection to ${this.address} is ${this.#state}`)
    return this.#socket.write(encodePayloadFrame(command, metadata, payload))
  }

  waitWritable(): Promise<void> {
    return this.#socket.waitWritable()
  }

  /**
   * Graceful stop: closes every producer and consumer still registered on the broker (so the
   * broker releases them at once instead of waiting for the session to time out), then the socket.
   */
  async close(): Promise<void> {
    if (this.#state === 'closing' || this.#state === 'closed') return
    const closing = this.#state === 'ready'
    this.states.transition('closing')
    if (closing) {
      const pending: Promise<unknown>[] = []
      for (const id of this.#producers.keys()) {
        const requestId = this.newRequestId()
        pending.push(
          this.#requestWhileClosing(requestId, {
            type: CommandType.CLOSE_PRODUCER,
            closeProducer: { producerId: id, requestId },
          }),
        )
      }
      for (const id of this.#consumers.keys()) {
        const requestId = this.newRequestId()
        pending.push(
          this.#requestWhileClosing(requestId, {
            type: CommandType.CLOSE_CONSUMER,
            closeConsumer: { consumerId: id, requestId },
          }),
        )
      }
      await Promise.allSettled(pending)
    }
    this.#finish(new ClosedError(`connection to ${this.address} was closed`))
    await this.#socket.close()
  }

  /** Kills the connection at once (used on protocol violations and by tests). */
  destroy(err: Error): void {
    this.#socket_?.destroy(err)
  }

  #requestWhileClosing(requestId: bigint, command: CommandInit): Promise<BaseCommand> {
    const response = this.#requests.register(requestId, {
      timeoutMs: 5000,
      what: `${commandName(command.type ?? 0)} on close`,
    })
    this.#writeRequest(requestId, command)
    return response
  }

  async #handshake(): Promise<void> {
    const { auth } = this.#opts
    // Credentials first: a provider that fails (an OAuth2 server refusing the client) must fail
    // the handshake before anything waits for CONNECTED — a waiter registered earlier would be
    // rejected by the socket's close with nobody listening (an unhandled rejection).
    const authData = auth ? await auth.authData() : undefined
    const connected = new Promise<BaseCommand>((resolve, reject) => {
      this.#handshakeWaiter = { resolve, reject }
    })
    this.#socket.onFrame((frame) => this.#onFrame(frame))
    this.#socket.onClose((err) => this.#onSocketClose(err))
    this.#socket.write(
      encodeSimpleFrame(
        encodeCommand({
          type: CommandType.CONNECT,
          connect: {
            clientVersion: CLIENT_VERSION,
            protocolVersion: PROTOCOL_VERSION,
            ...(auth ? { authMethodName: auth.method, authData } : {}),
            ...(this.#opts.proxyToBrokerUrl ? { proxyToBrokerUrl: this.#opts.proxyToBrokerUrl } : {}),
            featureFlags: {
              supportsAuthRefresh: true,
              supportsBrokerEntryMetadata: true,
              supportsPartialProducer: true,
              supportsTopicWatchers: true,
            },
          },
        }),
      ),
    )
    const timeoutMs = this.#opts.connectTimeoutMs ?? 10_000
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new TimeoutError(`CONNECT handshake with ${this.address} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      )
    })
    try {
      const cmd = await Promise.race([connected, timeout])
      const c = cmd.connected!
      this.serverVersion = c.serverVersion
      this.protocolVersion = c.protocolVersion
      if (c.maxMessageSize > 0) this.maxMessageSize = c.maxMessageSize
      this.states.transition('ready')
      this.#startKeepAlive()
    } finally {
      clearTimeout(timer)
      this.#handshakeWaiter = undefined
    }
  }

  #handshakeWaiter: { resolve: (cmd: BaseCommand) => void; reject: (err: Error) => void } | undefined

  #startKeepAlive(): void {
    const interval = this.#opts.keepAliveMs ?? 30_000
    if (!(interval > 0)) return
    this.#keepAlive = new KeepAlive({
      intervalMs: interval,
      timeoutMs: interval,
      ping: () => this.#socket.write(encodeSimpleFrame(encodeCommand({ type: CommandType.PING, ping: {} }))),
      onDead: (err) =>
        this.#socket.destroy(new ConnectionError(`${this.address}: ${err.message}`, { cause: err })),
    })
    this.#keepAlive.start()
  }

  #onFrame(bytes: Uint8Array): void {
    this.#keepAlive?.touch()
    const frame = decodeFrame(bytes)
    if (frame.payload && frame.payload.length > this.maxMessageSize + FRAME_OVERHEAD) {
      throw new ProtocolError(
        `message of ${frame.payload.length} bytes exceeds the negotiated maximum ${this.maxMessageSize}`,
      )
    }
    const cmd = frame.command
    switch (cmd.type) {
      case CommandType.CONNECTED:
        this.#handshakeWaiter?.resolve(cmd)
        return
      case CommandType.AUTH_CHALLENGE:
        this.#answerChallenge()
        return
      case CommandType.PING:
        this.#socket.write(encodeSimpleFrame(encodeCommand({ type: CommandType.PONG, pong: {} })))
        return
      case CommandType.PONG:
        return
      case CommandType.ERROR: {
        const e = cmd.error!
        const err = brokerError(e.error, e.message, `request to ${this.address}`)
        if (this.#handshakeWaiter) this.#handshakeWaiter.reject(err)
        else this.#requests.reject(e.requestId, err)
        return
      }
      case CommandType.SUCCESS:
        this.#requests.resolve(cmd.success!.requestId, cmd)
        return
      case CommandType.PRODUCER_SUCCESS:
        // Not ready: the producer waits for exclusive access; a second PRODUCER_SUCCESS follows.
        if (cmd.producerSuccess!.producerReady) this.#requests.resolve(cmd.producerSuccess!.requestId, cmd)
        return
      case CommandType.LOOKUP_RESPONSE: {
        const r = cmd.lookupTopicResponse!
        if (r.response === CommandLookupTopicResponse_LookupType.Failed) {
          this.#requests.reject(r.requestId, brokerError(r.error, r.message, `lookup on ${this.address}`))
        } else this.#requests.resolve(r.requestId, cmd)
        return
      }
      case CommandType.PARTITIONED_METADATA_RESPONSE: {
        const r = cmd.partitionMetadataResponse!
        if (r.response === CommandPartitionedTopicMetadataResponse_LookupType.Failed) {
          this.#requests.reject(
            r.requestId,
            brokerError(r.error, r.message, `partitioned metadata on ${this.address}`),
          )
        } else this.#requests.resolve(r.requestId, cmd)
        return
      }
      case CommandType.GET_LAST_MESSAGE_ID_RESPONSE:
        this.#requests.resolve(cmd.getLastMessageIdResponse!.requestId, cmd)
        return
      case CommandType.GET_TOPICS_OF_NAMESPACE_RESPONSE:
        this.#requests.resolve(cmd.getTopicsOfNamespaceResponse!.requestId, cmd)
        return
      case CommandType.WATCH_TOPIC_LIST_SUCCESS:
        this.#requests.resolve(cmd.watchTopicListSuccess!.requestId, cmd)
        return
      case CommandType.WATCH_TOPIC_UPDATE:
        this.#watchers.get(cmd.watchTopicUpdate!.watcherId)?.(cmd)
        return
      case CommandType.ACK_RESPONSE: {
        const r = cmd.ackResponse!
        if (r.error !== undefined && r.message !== undefined && r.message !== '') {
          this.#requests.reject(r.requestId, brokerError(r.error, r.message, `ack on ${this.address}`))
        } else this.#requests.resolve(r.requestId, cmd)
        return
      }
      case CommandType.SEND_RECEIPT:
        this.#producers.get(cmd.sendReceipt!.producerId)?.onCommand(frame)
        return
      case CommandType.SEND_ERROR:
        this.#producers.get(cmd.sendError!.producerId)?.onCommand(frame)
        return
      case CommandType.CLOSE_PRODUCER:
        this.#producers.get(cmd.closeProducer!.producerId)?.onCommand(frame)
        return
      case CommandType.MESSAGE:
        this.#consumers.get(cmd.message!.consumerId)?.onCommand(frame)
        return
      case CommandType.CLOSE_CONSUMER:
        this.#consumers.get(cmd.closeConsumer!.consumerId)?.onCommand(frame)
        return
      case CommandType.ACTIVE_CONSUMER_CHANGE:
        this.#consumers.get(cmd.activeConsumerChange!.consumerId)?.onCommand(frame)
        return
      case CommandType.REACHED_END_OF_TOPIC:
        this.#consumers.get(cmd.reachedEndOfTopic!.consumerId)?.onCommand(frame)
        return
      case CommandType.TOPIC_MIGRATED: {
        const m = cmd.topicMigrated!
        const owners =
          m.resourceType === CommandTopicMigrated_ResourceType.Producer ? this.#producers : this.#consumers
        owners.get(m.resourceId)?.onCommand(frame)
        return
      }
      default:
        // Commands a client never receives (or ones newer than this schema) are ignored, as the
        // Java client does, rather than killing a healthy connection.
        return
    }
  }

  #answerChallenge(): void {
    const auth = this.#opts.auth
    if (!auth) return
    auth.authData().then(
      (data) => {
        if (this.#state === 'closed') return
        this.#socket.write(
          encodeSimpleFrame(
            encodeCommand({
              type: CommandType.AUTH_RESPONSE,
              authResponse: {
                clientVersion: CLIENT_VERSION,
                protocolVersion: PROTOCOL_VERSION,
                response: { authMethodName: auth.method, authData: data },
              },
            }),
          ),
        )
      },
      (err: unknown) => this.#socket.destroy(err instanceof Error ? err : new Error(String(err))),
    )
  }

  #onSocketClose(err?: Error): void {
    const why =
      err ??
      (this.#state === 'closing'
        ? new ClosedError(`connection to ${this.address} was closed`)
        : new ConnectionError(`connection to ${this.address} closed`))
    this.#handshakeWaiter?.reject(
      err ?? new ConnectionError(`connection to ${this.address} closed during the handshake`),
    )
    this.#finish(
      why instanceof ConnectionError || why instanceof ClosedError
        ? why
        : new ConnectionError(`connection to ${this.address} failed: ${why.message}`, { cause: why }),
    )
  }

  #finish(err: Error): void {
    if (this.#state === 'closed') return
    this.#closeError = err
    // A close this side asked for is no failure; anything else is reported with the change.
    this.states.transition('closed', err instanceof ClosedError ? undefined : err)
    this.#keepAlive?.stop()
    this.#requests.rejectAll(err)
    const listeners = [...this.#producers.values(), ...this.#consumers.values()]
    this.#producers.clear()
    this.#consumers.clear()
    this.#watchers.clear()
    for (const l of listeners) l.onConnectionClosed(err)
    for (const l of this.#closeListeners.splice(0)) l(err)
  }
}

// One socket to one Kafka broker.
//
//   disconnected → connecting → handshaking → ready → closing → closed
//
// Handshaking negotiates versions with ApiVersions (Kafka 4.x dropped old versions, KIP-896, so a
// client must ask, not assume) and runs SASL (SaslHandshake + SaslAuthenticate rounds) when
// configured. Once ready, requests are pipelined: each gets the next correlation id, is written
// at once, and waits in the correlation map for its response; at most `maxInFlight` are
// outstanding, later ones queue. A produce with acks=0 gets no response, so it resolves as soon
// as it is written.
//
// Failure rule: anything that leaves the byte stream in an unknown state (a request timeout, a
// response with an unknown correlation id, a socket error) destroys the connection and fails
// every request in flight with a retriable ConnectionError/TimeoutError. A timed-out request is
// not "late, maybe": the broker may still be working on it, and the next response on the socket
// cannot be trusted to be the one we expect. Reconnecting is the cluster's job (cluster.ts).

import type tls from 'node:tls'
import { sleep } from '../core/backoff.ts'
import { CorrelationMap } from '../core/correlation.ts'
import { channels, publish } from '../core/diagnostics.ts'
import {
  AuthenticationError,
  ClosedError,
  ConduitError,
  ConnectionError,
  TimeoutError,
} from '../core/errors.ts'
import { FramedSocket } from '../core/framed-socket.ts'
import {
  ApiKey,
  apiName,
  clientVersionRange,
  decodeResponse,
  encodeRequestParts,
  kafkaError,
  pickVersion,
  readCorrelationId,
  type RequestOf,
  type ResponseOf,
  type VersionRange,
} from './protocol/index.ts'
import type { SaslMechanism } from './sasl/mechanism.ts'

export type KafkaConnectionState =
  'disconnected' | 'connecting' | 'handshaking' | 'ready' | 'closing' | 'closed'

export interface KafkaConnectionOptions {
  host: string
  port: number
  /** Broker node id, or -1 for a bootstrap address whose id is not known yet. */
  nodeId: number
  clientId: string
  tls?: tls.ConnectionOptions | boolean | undefined
  sasl?: SaslMechanism | undefined
  connectTimeoutMs: number
  requestTimeoutMs: number
  /** Requests outstanding at once on this socket; later ones wait their turn. */
  maxInFlight: number
  /** Largest response accepted; must exceed the consumer's fetch maxBytes. */
  maxFrameBytes: number
  /** What the socket carries (produce, fetch, group, admin) — for diagnostics and messages. */
  purpose: string
}

export interface RequestOptions {
  /** Overrides the negotiated version (tests, or an API whose fields differ by version). */
  version?: number
  /** Overrides requestTimeoutMs, e.g. fetch adds maxWaitMs and JoinGroup the rebalance timeout. */
  timeoutMs?: number
  /** false for Produce with acks=0: the broker sends nothing back. */
  expectResponse?: boolean
}

/**
 * The frame as bytes of its own. A frame that arrived inside a larger socket chunk is a view into
 * that chunk: it is copied, so that records kept by the application pin only their own response
 * and not the chunk around it. A frame that spanned chunks was already assembled by the decoder
 * into a buffer of exactly its size, which nothing else uses: it is taken as is — for a fetch
 * response (megabytes, always split across chunks) that saves copying every fetched byte again.
 */
export function ownedFrame(frame: Uint8Array): Uint8Array {
  return frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength ? frame : frame.slice()
}

const CLIENT_SOFTWARE_NAME = 'conduit'
const CLIENT_SOFTWARE_VERSION = '0.1.0'

export class KafkaConnection {
  readonly host: string
  readonly port: number
  readonly nodeId: number
  readonly purpose: string
  #state: KafkaConnectionState = 'disconnected'
  readonly #opts: KafkaConnectionOptions
  #socket: FramedSocket | undefined
  readonly #pending = new CorrelationMap<number, unknown>()
  /** Correlation id → how to decode its response (decoded synchronously: frames are views). */
  readonly #expect = new Map<
    number,
    { apiKey: number; version: number; deadline: number; timeoutMs: number }
  >()
  #nextCorrelationId = 1
  #inFlight = 0
  readonly #slotWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = []
  readonly #versions = new Map<number, VersionRange>()
  readonly #closeListeners: Array<(err?: Error) => void> = []
  #closeError: Error | undefined

  private constructor(opts: KafkaConnectionOptions) {
    this.#opts = opts
    this.host = opts.host
    this.port = opts.port
    this.nodeId = opts.nodeId
    this.purpose = opts.purpose
  }

  /** Opens, negotiates versions and authenticates; rejects with ConnectionError/AuthenticationError. */
  static async open(opts: KafkaConnectionOptions): Promise<KafkaConnection> {
    const conn = new KafkaConnection(opts)
    await conn.#start()
    return conn
  }

  get state(): KafkaConnectionState {
    return this.#state
  }

  get ready(): boolean {
    return this.#state === 'ready'
  }

  get address(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`
  }

  /** Why the connection died, once it did. */
  get closeError(): Error | undefined {
    return this.#closeError
  }

  /** The broker's version range for an API, or undefined when it does not serve it. */
  brokerVersions(apiKey: number): VersionRange | undefined {
    return this.#versions.get(apiKey)
  }

  /** The version this connection uses for `apiKey` (highest common one). */
  version(apiKey: number): number {
    const picked = this.#picked.get(apiKey)
    if (picked !== undefined) return picked
    const range = this.#versions.get(apiKey)
    if (!range) {
      throw kafkaError(
        35,
        `${apiName(apiKey)} to broker ${this.nodeId} (${this.address})`,
        'the broker does not serve it',
      )
    }
    const version = pickVersion(apiKey, range)
    this.#picked.set(apiKey, version)
    return version
  }

  /** version() per API, once known (the ranges never change after the handshake). */
  readonly #picked = new Map<number, number>()

  onClose(listener: (err?: Error) => void): void {
    if (this.#state === 'closed') queueMicrotask(() => listener(this.#closeError))
    else this.#closeListeners.push(listener)
  }

  /** How diagnostics name this connection: address, node and what it carries. */
  get label(): string {
    return `${this.address} (node ${this.nodeId}, ${this.purpose})`
  }

  #setState(state: KafkaConnectionState, error?: Error): void {
    const from = this.#state
    this.#state = state
    publish(channels.connectionState, () => ({
      driver: 'kafka',
      connection: this.label,
      from,
      to: state,
      error,
    }))
  }

  async #start(): Promise<void> {
    this.#setState('connecting')
    try {
      this.#socket = await FramedSocket.connect({
        host: this.host,
        port: this.port,
        tls: this.#opts.tls,
        connectTimeoutMs: this.#opts.connectTimeoutMs,
        maxFrameBytes: this.#opts.maxFrameBytes,
      })
    } catch (err) {
      this.#setState('closed')
      this.#closeError = err as Error
      throw err
    }
    this.#socket.onFrame((frame) => this.#onFrame(frame))
    this.#socket.onClose((err) => this.#onSocketClose(err))
    this.#setState('handshaking')
    try {
      await this.#negotiateVersions()
      if (this.#opts.sasl) await this.#authenticate(this.#opts.sasl)
    } catch (err) {
      this.destroy(err as Error)
      throw err
    }
    this.#setState('ready')
  }

  async #negotiateVersions(): Promise<void> {
    let version = clientVersionRange(ApiKey.ApiVersions).max
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await this.#send(
        ApiKey.ApiVersions,
        { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION },
        { version },
      )
      // UNSUPPORTED_VERSION: the broker answers in v0 with the versions it does serve, so the
      // second attempt uses its highest ApiVersions version we also speak.
      if (res.errorCode === 35 && attempt === 0) {
        const theirs = res.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions)
        if (!theirs) break
        version = pickVersion(ApiKey.ApiVersions, { min: theirs.minVersion, max: theirs.maxVersion })
        continue
      }
      if (res.errorCode !== 0) throw kafkaError(res.errorCode, `ApiVersions to ${this.address}`)
      for (const k of res.apiKeys) this.#versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion })
      return
    }
    throw new ConnectionError(`broker ${this.address} refused every ApiVersions version this client speaks`)
  }

  async #authenticate(mechanism: SaslMechanism): Promise<void> {
    const where = `broker ${this.address}`
    const hs = await this.#send(ApiKey.SaslHandshake, { mechanism: mechanism.name })
    if (hs.errorCode !== 0) {
      const err = kafkaError(hs.errorCode, `SaslHandshake with ${where}`)
      throw new AuthenticationError(
        `${where} does not accept SASL ${mechanism.name} (enabled: ${(hs.mechanisms ?? []).join(', ') || 'none'})`,
        { cause: err },
      )
    }
    try {
      await mechanism.authenticate(async (authBytes) => {
        const res = await this.#send(ApiKey.SaslAuthenticate, { authBytes })
        if (res.errorCode !== 0) {
          throw new AuthenticationError(
            `SASL ${mechanism.name} authentication with ${where} failed: ${res.errorMessage ?? kafkaError(res.errorCode, 'SaslAuthenticate').message}`,
          )
        }
        return res.authBytes
      })
    } catch (err) {
      if (err instanceof AuthenticationError) throw err
      if (err instanceof ConnectionError) {
        // Brokers close the socket on a failed login with some mechanisms/versions.
        throw new AuthenticationError(
          `SASL ${mechanism.name} authentication with ${where} failed: connection closed`,
          {
            cause: err,
          },
        )
      }
      throw err
    }
  }

  /** Sends a request on a ready connection and resolves with its decoded response body. */
  request<K extends number>(
    apiKey: K,
    body: RequestOf<K>,
    options: RequestOptions = {},
  ): Promise<ResponseOf<K>> {
    if (this.#state !== 'ready') {
      return Promise.reject(
        this.#state === 'closed' || this.#state === 'closing'
          ? new ConnectionError(`connection to broker ${this.nodeId} (${this.address}) is closed`, {
              cause: this.#closeError,
            })
          : new ConnectionError(`connection to broker ${this.nodeId} (${this.address}) is not ready`),
      )
    }
    return this.#send(apiKey, body, options)
  }

  #releaseSlot(): void {
    const next = this.#slotWaiters.shift()
    if (next) next.resolve()
    else this.#inFlight--
  }

  /**
   * Takes a slot and sends. With a slot free (the usual case) the frame is encoded and written
   * synchronously, inside the caller's call: no promise hop between request() and the socket.
   */
  #send<K extends number>(
    apiKey: K,
    body: RequestOf<K>,
    options: RequestOptions = {},
  ): Promise<ResponseOf<K>> {
    if (this.#inFlight < this.#opts.maxInFlight) {
      this.#inFlight++
      return this.#sendInSlot(apiKey, body, options)
    }
    return new Promise<void>((resolve, reject) => this.#slotWaiters.push({ resolve, reject })).then(() =>
      this.#sendInSlot(apiKey, body, options),
    )
  }

  async #sendInSlot<K extends number>(
    apiKey: K,
    body: RequestOf<K>,
    options: RequestOptions,
  ): Promise<ResponseOf<K>> {
    try {
      if (this.#mutedUntil !== 0) await this.#waitOutThrottle()
      const socket = this.#socket
      if (!socket || this.#state === 'closed' || this.#state === 'closing') {
        throw new ConnectionError(`connection to ${this.address} is closed`, { cause: this.#closeError })
      }
      const version = options.version ?? this.version(apiKey)
      const correlationId = this.#nextCorrelationId
      this.#nextCorrelationId = correlationId === 0x7fffffff ? 1 : correlationId + 1
      const frame = encodeRequestParts(
        { apiKey, apiVersion: version, correlationId, clientId: this.#opts.clientId },
        body,
      )
      // Diagnostics cost nothing without a subscriber (no clock read, no payload).
      const timed = channels.requestEnd.hasSubscribers || channels.requestError.hasSubscribers
      const started = timed ? performance.now() : 0
      if (channels.requestStart.hasSubscribers) {
        channels.requestStart.publish({
          driver: 'kafka',
          connection: this.label,
          operation: `${apiName(apiKey)} v${version}`,
          requestId: correlationId,
        })
      }
      const timeoutMs = options.timeoutMs ?? this.#opts.requestTimeoutMs
      if (options.expectResponse === false) {
        // No response to wait for, but the write itself has the request's deadline: a broker that
        // stopped reading would otherwise hold this call (and its slot) forever.
        if (!socket.write(frame)) await socket.waitWritable(timeoutMs, `${apiName(apiKey)} v${version}`)
        return undefined as ResponseOf<K>
      }
      const deadline = timeoutMs > 0 && Number.isFinite(timeoutMs) ? performance.now() + timeoutMs : Infinity
      // Written before the response is registered: a write that throws (the socket died an instant
      // ago) leaves nothing behind, and no response can arrive before this call returns.
      const drained = socket.write(frame)
      this.#expect.set(correlationId, { apiKey, version, deadline, timeoutMs })
      // No timer per request: one timer per connection, armed for the earliest deadline.
      const response = this.#pending.register(correlationId, { timeoutMs: Infinity, what: apiName(apiKey) })
      if (deadline < this.#timeoutAt) this.#armTimeouts(deadline)
      try {
        if (!drained) {
          // Backpressure: wait for the socket to drain before the slot is freed for the next
          // write — but never past the request's deadline. A broker that stops reading never
          // drains the socket; the deadline armed above rejects `response` with a TimeoutError,
          // which ends this wait too and (below) closes the connection.
          // A failed drain wait means the socket closed: `response` rejects with that, and is reported.
          await Promise.race([socket.waitWritable().catch(() => undefined), response])
        }
        const body = (await response) as ResponseOf<K>
        if (channels.requestEnd.hasSubscribers) {
          channels.requestEnd.publish({
            driver: 'kafka',
            connection: this.label,
            operation: `${apiName(apiKey)} v${version}`,
            requestId: correlationId,
            durationMs: performance.now() - started,
          })
        }
        return body
      } catch (err) {
        if (channels.requestError.hasSubscribers) {
          channels.requestError.publish({
            driver: 'kafka',
            connection: this.label,
            operation: `${apiName(apiKey)} v${version}`,
            requestId: correlationId,
            durationMs: performance.now() - started,
            error: err as Error,
          })
        }
        this.#expect.delete(correlationId)
        if (err instanceof ConduitError && err.code === 'CONDUIT_TIMEOUT') this.destroy(err)
        throw err
      }
    } finally {
      this.#releaseSlot()
    }
  }

  /** When the timeout timer fires (Infinity: not armed). */
  #timeoutAt = Infinity
  #timeoutTimer: ReturnType<typeof setTimeout> | undefined

  #armTimeouts(at: number): void {
    clearTimeout(this.#timeoutTimer)
    this.#timeoutAt = at
    this.#timeoutTimer = setTimeout(
      () => this.#expireRequests(),
      Math.max(1, Math.ceil(at - performance.now())),
    )
    this.#timeoutTimer.unref()
  }

  /** Fails every request past its deadline with a TimeoutError (which kills the connection). */
  #expireRequests(): void {
    this.#timeoutTimer = undefined
    this.#timeoutAt = Infinity
    const now = performance.now()
    let next = Infinity
    for (const [id, e] of this.#expect) {
      if (e.deadline <= now) {
        this.#expect.delete(id)
        const what = `${apiName(e.apiKey)} v${e.version} to broker ${this.nodeId} (${this.address}, ${this.purpose})`
        this.#pending.reject(id, new TimeoutError(`${what} timed out after ${e.timeoutMs} ms`))
      } else if (e.deadline < next) next = e.deadline
    }
    if (next < Infinity && this.#state !== 'closed') this.#armTimeouts(next)
  }

  #onFrame(frame: Uint8Array): void {
    const correlationId = readCorrelationId(frame)
    const expected = this.#expect.get(correlationId)
    if (!expected) {
      throw new ConnectionError(
        `broker ${this.address} sent a response for unknown correlation id ${correlationId}`,
      )
    }
    this.#expect.delete(correlationId)
    let body: unknown
    try {
      // Decoded values (record bytes above all) are views into the frame, so they keep its
      // buffer alive: see ownedFrame.
      ;({ body } = decodeResponse(expected.apiKey, expected.version, ownedFrame(frame)))
    } catch (err) {
      // The frame boundary is intact, so only this request fails; the stream stays usable.
      this.#pending.reject(correlationId, err as Error)
      return
    }
    const throttleMs = (body as { throttleTimeMs?: unknown }).throttleTimeMs
    if (typeof throttleMs === 'number' && throttleMs > 0)
      this.#throttle(throttleMs, expected.apiKey, expected.version)
    this.#pending.resolve(correlationId, body)
  }

  /** Until when (performance.now()) nothing is sent: the broker's throttle time, as Java honours it. */
  #mutedUntil = 0

  /**
   * A response's throttle_time_ms > 0 means a quota was exceeded. Since KIP-219 the broker answers
   * at once and expects the client to send nothing more on this connection for that long (it
   * mutes the channel itself too), so requests wait here instead of piling up on the socket.
   */
  #throttle(ms: number, apiKey: number, version: number): void {
    this.#mutedUntil = Math.max(this.#mutedUntil, performance.now() + ms)
    if (channels.throttle.hasSubscribers) {
      channels.throttle.publish({
        driver: 'kafka',
        connection: this.label,
        operation: `${apiName(apiKey)} v${version}`,
        throttleMs: ms,
      })
    }
  }

  async #waitOutThrottle(): Promise<void> {
    const wait = this.#mutedUntil - performance.now()
    if (wait > 0) await sleep(wait)
    else this.#mutedUntil = 0
  }

  #onSocketClose(err?: Error): void {
    const error =
      err ??
      new ConnectionError(`connection to broker ${this.nodeId} (${this.address}, ${this.purpose}) closed`)
    this.#closeError ??= error
    this.#setState('closed', err)
    // A broker refusing our TLS client certificate ends the socket on the first read; that is an
    // AuthenticationError (not retriable), and must reach the caller as one.
    this.#pending.rejectAll(
      error instanceof ConnectionError || error instanceof AuthenticationError
        ? error
        : new ConnectionError(error.message, { cause: error }),
    )
    this.#expect.clear()
    clearTimeout(this.#timeoutTimer)
    this.#timeoutTimer = undefined
    this.#timeoutAt = Infinity
    for (const w of this.#slotWaiters.splice(0)) w.reject(error)
    for (const l of this.#closeListeners.splice(0)) l(this.#closeError)
  }

  /** Graceful close: in-flight requests may still complete. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return
    this.#closeError ??= new ClosedError(`connection to ${this.address} closed by the client`)
    this.#setState('closing')
    // Nothing in flight: nothing to wait for (the broker may take a while to answer our FIN).
    if (this.#pending.size === 0) this.#socket?.destroy()
    else await this.#socket?.close(1000)
  }

  /** Closes at once and fails whatever is in flight with `err`. */
  destroy(err?: Error): void {
    if (this.#state === 'closed') return
    if (err) this.#closeError ??= err
    this.#socket?.destroy(err)
  }
}

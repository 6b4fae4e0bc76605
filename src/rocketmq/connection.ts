// One connection to one RocketMQ name server or broker address: framing, opaque correlation with
// per-request timeouts, oneway requests, ACL signing, TLS, and requests the broker sends to the
// client (transaction checks, consumer-ids-changed, running info, consume-directly), which are
// handed to `onRequest` and answered with what it returns.
//
// The connection reconnects on demand: after the socket dies, the next request opens a new one,
// and failed opens are spaced by a backoff so a dead broker is not hammered. In-flight requests
// of a dead socket fail with ConnectionError — their outcome is unknown, which callers that
// retry (sends on another broker, pulls) treat as retriable.

import { createHmac } from 'node:crypto'
import type tls from 'node:tls'
import { Backoff } from '../core/backoff.ts'
import { CorrelationMap } from '../core/correlation.ts'
import {
  AuthenticationError,
  BrokerError,
  ClosedError,
  ConnectionError,
  ProtocolError,
} from '../core/errors.ts'
import { FramedSocket } from '../core/framed-socket.ts'
import { RETRIABLE_RESPONSE_CODES, ResponseCode, responseCodeName } from './protocol/codes.ts'
import {
  createResponse,
  decodeCommand,
  encodeCommand,
  isOneway,
  isResponse,
  SerializeType,
  CommandFlag,
  type RemotingCommand,
} from './protocol/remoting-command.ts'

export interface AclCredentials {
  accessKey: string
  secretKey: string
  securityToken?: string
}

export type RequestHandler = (
  request: RemotingCommand,
  connection: RemotingConnection,
) => Promise<RemotingCommand | null> | RemotingCommand | null

export interface ConnectionOptions {
  /** "host:port" as the name server or broker announced it (before mapAddress). */
  address: string
  /** Where to actually connect; defaults to `address`. */
  mapAddress?: (host: string, port: number) => { host: string; port: number }
  tls?: tls.ConnectionOptions | boolean
  credentials?: AclCredentials
  connectTimeoutMs?: number
  /** Default per-request timeout. Default 3000 ms (the Java client's send timeout). */
  requestTimeoutMs?: number
  /** Header encoding of requests. Default JSON (see #writeCommand). */
  serializeType?: SerializeType
  /** Largest frame accepted from the peer. Default 16 MiB + header slack. */
  maxFrameBytes?: number
  onRequest?: RequestHandler
}

/** The Java client rejects frames above 16 MiB; leave room for the header around a 4 MiB+ body. */
const DEFAULT_MAX_FRAME = 16 * 1024 * 1024 + 64 * 1024

export function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':')
  const port = Number(address.slice(at + 1))
  let host = address.slice(0, at)
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new ProtocolError(`"${address}" is not a host:port address`)
  }
  return { host, port }
}

/**
 * The ACL signature (AclClientRPCHook): values of every ext field except Signature, in key
 * order, then the body, HMAC-SHA1 with the secret key, base64.
 */
export function signRequest(cmd: RemotingCommand, credentials: AclCredentials): void {
  cmd.extFields.AccessKey = credentials.accessKey
  if (credentials.securityToken !== undefined) cmd.extFields.SecurityToken = credentials.securityToken
  delete cmd.extFields.Signature
  const keys = Object.keys(cmd.extFields).sort()
  const hmac = createHmac('sha1', credentials.secretKey)
  hmac.update(keys.map((k) => cmd.extFields[k]).join(''), 'utf8')
  if (cmd.body && cmd.body.length > 0) hmac.update(cmd.body)
  cmd.extFields.Signature = hmac.digest('base64')
}

/** A BrokerError for a response code, with `retriable` set the way the Java client retries. */
export function brokerErrorOf(response: RemotingCommand, what: string): BrokerError | AuthenticationError {
  const name = responseCodeName(response.code)
  const message = `${what} failed: ${name} (${response.code})${response.remark ? `: ${response.remark}` : ''}`
  if (
    response.code === ResponseCode.NO_PERMISSION &&
    /access ?key|signature|\bacl\b|user|authenticat|authoriz/i.test(response.remark ?? '')
  ) {
    return new AuthenticationError(message)
  }
  return new BrokerError(response.code, name, message, {
    retriable: RETRIABLE_RESPONSE_CODES.has(response.code),
  })
}

export class RemotingConnection {
  readonly address: string
  readonly #opts: ConnectionOptions
  readonly #pending = new CorrelationMap<number, RemotingCommand>()
  readonly #backoff = new Backoff({ initialMs: 100, maxMs: 5000 })
  #socket: FramedSocket | undefined
  #connecting: Promise<FramedSocket> | undefined
  #nextAttemptAt = 0
  #lastError: Error | undefined
  #closed = false
  #opaque = 1
  readonly #closeListeners = new Set<(err?: Error) => void>()

  constructor(opts: ConnectionOptions) {
    this.#opts = opts
    this.address = opts.address
  }

  get connected(): boolean {
    return this.#socket !== undefined && !this.#socket.closed
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Called whenever a socket of this connection ends (err undefined for a local close). */
  onSocketClose(listener: (err?: Error) => void): () => void {
    this.#closeListeners.add(listener)
    return () => this.#closeListeners.delete(listener)
  }

  /** Opens the socket if there is none; rejects with ConnectionError while the backoff holds. */
  async ensureConnected(): Promise<FramedSocket> {
    if (this.#closed) throw new ClosedError(`connection to ${this.address} is closed`)
    if (this.#socket && !this.#socket.closed) return this.#socket
    if (this.#connecting) return this.#connecting
    const wait = this.#nextAttemptAt - Date.now()
    if (wait > 0 && this.#lastError) {
      throw new ConnectionError(
        `connection to ${this.address} is down (next attempt in ${wait} ms): ${this.#lastError.message}`,
        {
          cause: this.#lastError,
        },
      )
    }
    this.#connecting = this.#open().finally(() => {
      this.#connecting = undefined
    })
    return this.#connecting
  }

  async #open(): Promise<FramedSocket> {
    const announced = splitAddress(this.address)
    const target = this.#opts.mapAddress ? this.#opts.mapAddress(announced.host, announced.port) : announced
    try {
      const socket = await FramedSocket.connect({
        host: target.host,
        port: target.port,
        tls: this.#opts.tls,
        connectTimeoutMs: this.#opts.connectTimeoutMs ?? 3000,
        maxFrameBytes: this.#opts.maxFrameBytes ?? DEFAULT_MAX_FRAME,
      })
      if (this.#closed) {
        socket.destroy()
        throw new ClosedError(`connection to ${this.address} is closed`)
      }
      this.#backoff.reset()
      this.#lastError = undefined
      this.#socket = socket
      socket.onFrame((frame) => this.#onFrame(frame))
      socket.onClose((err) => this.#onSocketClosed(socket, err))
      return socket
    } catch (err) {
      this.#lastError = err as Error
      this.#nextAttemptAt = Date.now() + this.#backoff.next()
      throw err
    }
  }

  #onSocketClosed(socket: FramedSocket, err?: Error): void {
    if (this.#socket === socket) this.#socket = undefined
    // A broker refusing our TLS client certificate (mutual TLS) ends the socket on the first read:
    // that is an AuthenticationError (not retriable) and must reach the caller as one.
    const why =
      err instanceof AuthenticationError
        ? err
        : new ConnectionError(`connection to ${this.address} closed${err ? `: ${err.message}` : ''}`, {
            cause: err,
          })
    this.#pending.rejectAll(why)
    for (const l of this.#closeListeners) l(err)
  }

  #onFrame(frame: Uint8Array): void {
    const cmd = decodeCommand(frame)
    if (isResponse(cmd)) {
      // A late response (after its timeout) is dropped: the caller already got a TimeoutError.
      this.#pending.resolve(cmd.opaque, cmd)
      return
    }
    void this.#serveRequest(cmd)
  }

  async #serveRequest(request: RemotingCommand): Promise<void> {
    let response: RemotingCommand | null
    try {
      response = this.#opts.onRequest
        ? await this.#opts.onRequest(request, this)
        : createResponse(
            request,
            ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
            `request code ${request.code} not supported`,
          )
    } catch (err) {
      response = createResponse(
        request,
        ResponseCode.SYSTEM_ERROR,
        err instanceof Error ? err.message : String(err),
      )
    }
    if (response === null || isOneway(request)) return
    try {
      this.#writeCommand(response)
    } catch {
      // The socket died while we worked on the answer; the broker will ask again.
    }
  }

  /** Returns false when the socket buffer is full (the caller may wait for it to drain). */
  #writeCommand(cmd: RemotingCommand): boolean {
    const socket = this.#socket
    if (!socket || socket.closed) throw new ConnectionError(`connection to ${this.address} is not open`)
    if (this.#opts.credentials && !isResponse(cmd)) signRequest(cmd, this.#opts.credentials)
    // JSON headers by default, like the Java client: measured against a 5.3 broker, 64 sends in
    // flight went 1.3–2.5× faster with JSON than with ROCKETMQ binary headers (broker-side cost).
    return socket.write(encodeCommand(cmd, this.#opts.serializeType ?? SerializeType.JSON))
  }

  #nextOpaque(): number {
    const id = this.#opaque
    this.#opaque = this.#opaque >= 0x7fffffff ? 1 : this.#opaque + 1
    return id
  }

  /** Sends a request and resolves with the response command, whatever its code. */
  async request(
    cmd: RemotingCommand,
    timeoutMs = this.#opts.requestTimeoutMs ?? 3000,
    what?: string,
  ): Promise<RemotingCommand> {
    const socket = await this.ensureConnected()
    cmd.opaque = this.#nextOpaque()
    cmd.flag &= ~CommandFlag.ONEWAY
    const response = this.#pending.register(cmd.opaque, {
      timeoutMs,
      what: what ?? `request ${cmd.code} to ${this.address}`,
    })
    try {
      this.#writeCommand(cmd)
    } catch (err) {
      this.#pending.reject(cmd.opaque, err as Error)
      return response
    }
    if (socket.closed)
      this.#pending.reject(cmd.opaque, new ConnectionError(`connection to ${this.address} closed`))
    return response
  }

  /** Sends a request and returns the response when its code is SUCCESS (or one of `accept`). */
  async invoke(
    cmd: RemotingCommand,
    what: string,
    opts: { timeoutMs?: number; accept?: readonly number[] } = {},
  ): Promise<RemotingCommand> {
    const response = await this.request(cmd, opts.timeoutMs, `${what} (${this.address})`)
    if (response.code === ResponseCode.SUCCESS || opts.accept?.includes(response.code)) return response
    throw brokerErrorOf(response, `${what} (${this.address})`)
  }

  /** Writes a request without waiting for (or expecting) a response. */
  async oneway(cmd: RemotingCommand): Promise<void> {
    const socket = await this.ensureConnected()
    cmd.opaque = this.#nextOpaque()
    cmd.flag |= CommandFlag.ONEWAY
    // Oneway callers (offset updates, heartbeats in bulk) would otherwise fill memory unbounded;
    // a broker that stops reading fails the wait at the request timeout and closes the socket.
    if (!this.#writeCommand(cmd))
      await socket.waitWritable(this.#opts.requestTimeoutMs ?? 3000, `oneway request ${cmd.code}`)
  }

  /** Writes a response to a broker request outside the onRequest flow. */
  respond(response: RemotingCommand): void {
    this.#writeCommand(response)
  }

  /** Kills the current socket (for tests and after protocol errors); the next request reconnects. */
  drop(err?: Error): void {
    this.#socket?.destroy(err)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const socket = this.#socket
    this.#pending.rejectAll(new ClosedError(`connection to ${this.address} closed`))
    if (socket) await socket.close(1000)
  }
}

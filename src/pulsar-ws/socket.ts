// One WebSocket to one endpoint of Pulsar's WebSocket service, kept open: the server never
// reconnects for a client (and Stargate left it to supervisors), so when the socket drops this
// reopens it with backoff and tells its owner, who then resends what was not acknowledged
// (producer) or asks for messages again (consumer, reader).
//
// States (src/core/connection-state.ts): disconnected → connecting → ready; a drop goes back to
// disconnected and the reconnect loop starts; close() goes through closing to closed.
//
// Handshake failures come back as HTTP answers from the web service and are typed here:
// 401/403 AuthenticationError, 400 ConfigError (a query parameter the server refused),
// 404 BrokerError (tenant/namespace/topic missing), 409 BrokerError retriable (the exclusive
// subscription or producer name is taken — often our own previous session, still closing),
// 5xx BrokerError retriable (broker not ready). Refused or dropped TCP is a ConnectionError.

import WebSocket from 'ws'
import type { ClientOptions, RawData } from 'ws'
import type { IncomingMessage } from 'node:http'
import { Backoff, sleep } from '../core/backoff.ts'
import type { BackoffOptions } from '../core/backoff.ts'
import { StateMachine } from '../core/connection-state.ts'
import {
  AuthenticationError,
  BrokerError,
  ClosedError,
  ConduitError,
  ConfigError,
  ConnectionError,
  TimeoutError,
} from '../core/errors.ts'
import { redactUrl } from '../core/redact-url.ts'
import { clientCertificateRefused } from '../core/tls-alert.ts'

export interface WsTlsOptions {
  /** PEM text (or Buffer) of the CA(s) to trust. */
  ca?: string | Buffer | (string | Buffer)[]
  /** Client certificate and key (PEM), for servers that ask for one. */
  cert?: string | Buffer
  key?: string | Buffer
  passphrase?: string
  /** Default true. */
  rejectUnauthorized?: boolean
  servername?: string
}

export interface SocketOptions {
  /** JWT sent as `Authorization: Bearer …` on every handshake (a function is called each time). */
  token?: string | (() => string | Promise<string>)
  tls?: WsTlsOptions
  /**
   * Handshake deadline. The server creates its producer/consumer inside the handshake, bounded by
   * its own 30 s operation timeout, so the default (35 000 ms) lets its own answer arrive first.
   */
  connectTimeoutMs?: number
  /** Ping interval; a socket that misses one pong is dropped and reopened. Default 30 000, 0 = off. */
  keepAliveMs?: number
  /** Largest frame accepted from the server. Default 16 MiB (a 5 MiB message in base64 plus JSON). */
  maxIncomingBytes?: number
  reconnectBackoff?: BackoffOptions
}

const MAX_ERROR_BODY = 64 * 1024

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

/** The reason from the body of a refused handshake (Jetty's HTML error page or plain text). */
export function handshakeReason(body: string): string {
  const title = /<title>([^<]*)<\/title>/i.exec(body)
  const text = title ? title[1]!.replace(/^Error \d+\s*/, '') : body.replace(/<[^>]*>/g, ' ')
  return decodeEntities(text).replace(/\s+/g, ' ').trim().slice(0, 500)
}

/** A handshake refused with 409: the subscription or name is taken (e.g. an Exclusive consumer). */
export function isConflict(error: unknown): boolean {
  return error instanceof BrokerError && error.brokerCode === 409
}

/** Maps a refused handshake to a typed error. */
export function handshakeError(status: number, reason: string, where: string): ConduitError {
  const message = `${where}: HTTP ${status}${reason ? ` ${reason}` : ''}`
  if (status === 401 || status === 403) return new AuthenticationError(message)
  if (status === 400) return new ConfigError(message, { code: 'CONDUIT_PULSAR_WS_BAD_REQUEST' })
  if (status === 404) return new BrokerError(status, 'NOT_FOUND', message, { retriable: false })
  if (status === 409) return new BrokerError(status, 'CONFLICT', message, { retriable: true })
  if (status === 429 || status >= 500)
    return new BrokerError(status, `HTTP_${status}`, message, { retriable: true })
  return new BrokerError(status, `HTTP_${status}`, message, { retriable: false })
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}

/**
 * Opens one WebSocket; resolves when the server accepted the handshake. `onText` is attached before
 * the handshake completes: a server may send its first frame in the same packet as the 101
 * answer, and ws emits it before any code awaiting this promise could add a listener.
 */
export async function openWebSocket(
  url: string,
  options: SocketOptions = {},
  onText?: (text: string) => void,
): Promise<WebSocket> {
  // Never put a token into an error message, even if a user passed one as ?token=.
  const where = redactUrl(url)
  const headers: Record<string, string> = {}
  if (options.token !== undefined) {
    const token = typeof options.token === 'string' ? options.token : await options.token()
    headers.authorization = `Bearer ${token}`
  }
  const tls = options.tls ?? {}
  const clientOptions: ClientOptions = {
    headers,
    handshakeTimeout: options.connectTimeoutMs ?? 35_000,
    maxPayload: options.maxIncomingBytes ?? 16 * 1024 * 1024,
    perMessageDeflate: false,
    followRedirects: false,
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
    ...(tls.key !== undefined ? { key: tls.key } : {}),
    ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
    ...(tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
    ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
  }
  return new Promise<WebSocket>((resolve, reject) => {
    let settled = false
    const fail = (error: ConduitError): void => {
      if (settled) return
      settled = true
      ws.terminate()
      reject(error)
    }
    let ws: WebSocket
    try {
      ws = new WebSocket(url, clientOptions)
    } catch (cause) {
      reject(new ConfigError(`cannot open ${where}: ${(cause as Error).message}`, { cause }))
      return
    }
    if (onText) {
      ws.on('message', (data: RawData, isBinary: boolean) => {
        if (!isBinary) onText(textOf(data)) // the API only speaks text frames
      })
    }
    ws.once('open', () => {
      if (settled) return
      settled = true
      // Errors from now on are the owner's business ('close' follows each); a no-op listener
      // keeps an error in the gap before the owner attaches from being thrown by the emitter.
      ws.removeAllListeners('error')
      ws.on('error', () => undefined)
      resolve(ws)
    })
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_ERROR_BODY) chunks.push(chunk)
        size += chunk.length
      })
      const done = (): void =>
        fail(
          handshakeError(res.statusCode ?? 0, handshakeReason(Buffer.concat(chunks).toString('utf8')), where),
        )
      res.once('end', done)
      res.once('error', done)
    })
    ws.on('error', (err: Error & { code?: string }) => {
      if (/handshake has timed out/i.test(err.message)) {
        fail(new TimeoutError(`${where}: the WebSocket handshake timed out`, { cause: err }))
        return
      }
      const refused = clientCertificateRefused(err, where)
      if (refused) {
        fail(refused)
        return
      }
      const tlsCode = err.code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(err.code)
      fail(
        tlsCode
          ? new ConnectionError(`${where}: TLS failed: ${err.message}`, { cause: err, retriable: false })
          : new ConnectionError(`${where}: ${err.message}`, { cause: err }),
      )
    })
  })
}

export interface SocketHandlers {
  /** A text frame from the server. */
  onMessage(text: string): void
  /** The socket (re)opened; `reconnected` is false for the first open. */
  onOpen(reconnected: boolean): void
  /** The socket dropped; the reconnect loop has started. */
  onDown(error: Error): void
  /** The reconnect loop gave up on a non-retriable error; the socket is closed for good. */
  onFailed(error: Error): void
}

/** A WebSocket that reopens itself. `url()` is asked again on every (re)connect. */
export class ReconnectingSocket {
  readonly state: StateMachine
  readonly #url: () => string
  readonly #options: SocketOptions
  readonly #handlers: SocketHandlers
  readonly #backoff: Backoff
  readonly #stop = new AbortController()
  #ws: WebSocket | undefined
  #suspended = false
  #generation = 0
  #keepAlive: ReturnType<typeof setInterval> | undefined
  #closing: Promise<void> | undefined

  constructor(url: () => string, options: SocketOptions, handlers: SocketHandlers, label: string) {
    this.#url = url
    this.#options = options
    this.#handlers = handlers
    this.#backoff = new Backoff({ initialMs: 200, maxMs: 10_000, ...options.reconnectBackoff })
    this.state = new StateMachine({ driver: 'pulsar-ws', connection: label })
  }

  get isOpen(): boolean {
    return this.state.state === 'ready' && this.#ws?.readyState === WebSocket.OPEN
  }

  /** The first connection: rejects (and closes) when it fails, so bad settings fail at creation. */
  async start(): Promise<void> {
    this.state.transition('connecting')
    try {
      this.#attach(await openWebSocket(this.#url(), this.#options, this.#receiverFor()))
    } catch (error) {
      if (this.state.canTransition('closed')) this.state.transition('closed', error as Error)
      throw error
    }
    this.state.transition('ready')
    this.#handlers.onOpen(false)
  }

  /** Writes a text frame; false when the socket is not open (the owner keeps the frame). */
  send(text: string): boolean {
    if (!this.isOpen) return false
    this.#ws!.send(text)
    return true
  }

  /** Bytes written but not yet on the wire: owners stop writing above a bound. */
  get bufferedAmount(): number {
    return this.#ws?.bufferedAmount ?? 0
  }

  /**
   * Closes the current socket, runs `between` while no socket is open (e.g. a cursor reset that
   * must not race with deliveries on the old session), then connects again.
   */
  async cycle(between: () => Promise<void>): Promise<void> {
    if (this.state.is('closing', 'closed')) throw new ClosedError('the WebSocket is closed')
    this.#suspended = true
    try {
      await this.#closeCurrent()
      if (this.state.is('ready')) this.state.transition('disconnected')
      await between()
    } finally {
      this.#suspended = false
    }
    if (this.state.is('closing', 'closed')) return
    if (this.state.is('disconnected')) await this.#reconnect()
  }

  async close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.state.is('closed')) return
      this.state.transition('closing')
      this.#stop.abort(new ClosedError('the WebSocket was closed'))
      await this.#closeCurrent()
      this.state.transition('closed')
    })()
    return this.#closing
  }

  /**
   * The frame handler of the socket being opened now. Frames of an older socket (still draining
   * while cycle() or a reconnect replaced it) belong to a finished session and are dropped.
   */
  #receiverFor(): (text: string) => void {
    const generation = ++this.#generation
    return (text) => {
      if (generation !== this.#generation || this.#suspended || this.state.is('closing', 'closed')) return
      this.#handlers.onMessage(text)
    }
  }

  #attach(ws: WebSocket): void {
    this.#ws = ws
    let alive = true
    ws.on('message', () => (alive = true))
    ws.on('pong', () => (alive = true))
    ws.on('error', () => undefined) // 'close' follows and carries the outcome
    ws.once('close', (code: number, reason: Buffer) => {
      if (this.#keepAlive) clearInterval(this.#keepAlive)
      this.#keepAlive = undefined
      if (this.#ws === ws) this.#ws = undefined
      if (this.#suspended || this.state.is('closing', 'closed')) return
      const error = new ConnectionError(
        `${this.state.state === 'ready' ? 'the WebSocket dropped' : 'the WebSocket closed'} (code ${code}${reason.length ? `: ${reason.toString('utf8')}` : ''})`,
      )
      if (this.state.is('ready')) this.state.transition('disconnected', error)
      this.#handlers.onDown(error)
      this.#reconnect().catch(() => undefined)
    })
    const every = this.#options.keepAliveMs ?? 30_000
    if (every > 0) {
      this.#keepAlive = setInterval(() => {
        if (!alive) {
          ws.terminate() // no pong within one interval: the peer or the path is gone
          return
        }
        alive = false
        ws.ping()
      }, every)
      this.#keepAlive.unref()
    }
  }

  async #reconnect(): Promise<void> {
    while (!this.state.is('closing', 'closed') && !this.#suspended) {
      try {
        await sleep(this.#backoff.next(), this.#stop.signal)
      } catch {
        return // closed while waiting
      }
      if (this.state.is('closing', 'closed') || this.#suspended) return
      this.state.transition('connecting')
      let ws: WebSocket
      try {
        ws = await openWebSocket(this.#url(), this.#options, this.#receiverFor())
      } catch (error) {
        if (this.state.is('closing', 'closed')) return
        this.state.transition('disconnected', error as Error)
        if (error instanceof ConduitError && !error.retriable) {
          this.#handlers.onFailed(error)
          await this.close()
          return
        }
        continue
      }
      if (this.state.is('closing', 'closed')) {
        ws.terminate()
        return
      }
      this.#backoff.reset()
      this.#attach(ws)
      this.state.transition('ready')
      this.#handlers.onOpen(true)
      return
    }
  }

  /** Closes the open socket (if any) and waits for it, terminating it if the peer does not answer. */
  async #closeCurrent(): Promise<void> {
    const ws = this.#ws
    if (!ws) return
    if (ws.readyState === WebSocket.CLOSED) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => ws.terminate(), 2000)
      ws.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      ws.close(1000)
    })
  }
}

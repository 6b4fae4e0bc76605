// One TCP or TLS connection to one broker, carrying length-prefixed frames (see frame-decoder.ts).
// It owns the socket's life: connecting (with timeout, abort and TLS), cutting inbound bytes into
// frames, writing with backpressure, and reporting exactly once how and why it ended, so the
// connection layer above can fail its in-flight requests with the right error.

import { clientCertificateRefused } from './tls-alert.ts'
import net from 'node:net'
import tls from 'node:tls'
import { ConduitError, ConnectionError, TimeoutError } from './errors.ts'
import { FrameDecoder } from './frame-decoder.ts'

export { frameWithLength } from './frame-decoder.ts'

export interface FramedSocketOptions {
  host: string
  port: number
  /** true for TLS with Node's defaults (system CAs, host name check), or tls.connect options. */
  tls?: tls.ConnectionOptions | boolean
  /** Fail the connect after this long (TCP and TLS handshake together). Default 10 000 ms. */
  connectTimeoutMs?: number
  /** Largest frame body accepted from the peer; a larger declared length kills the connection. */
  maxFrameBytes: number
  /** Disable Nagle's algorithm (default true): requests are small and latency-bound. */
  noDelay?: boolean
  signal?: AbortSignal
}

type FrameHandler = (frame: Uint8Array) => void
type CloseHandler = (err?: Error) => void

/** Default wait for the peer to close its side after close() sent ours. */
const CLOSE_GRACE_MS = 5000

export class FramedSocket {
  readonly remoteAddress: string
  readonly #socket: net.Socket
  readonly #decoder: FrameDecoder
  #frameHandler: FrameHandler | undefined
  #closeHandler: CloseHandler | undefined
  #closed = false
  #closing = false
  /** Why the socket ended; undefined for a close this side asked for. */
  #closeError: Error | undefined
  /** Set by destroy(err) or a protocol/handler failure before the socket's 'close' event. */
  #failure: Error | undefined
  readonly #closeWaiters: Array<() => void> = []

  private constructor(socket: net.Socket, remoteAddress: string, decoder: FrameDecoder) {
    this.#socket = socket
    this.remoteAddress = remoteAddress
    this.#decoder = decoder
    socket.on('error', (err) => {
      // A peer that answers our FIN with a reset is not a failure of a close we asked for.
      if (!this.#closing) this.#failure ??= err
    })
    socket.on('end', () => {
      // The peer closed its side. With allowHalfOpen false Node ends ours too; a close we did
      // not ask for is a failure, and one mid-frame says how much of the frame was lost.
      if (!this.#closing) this.#failure ??= this.#peerClosedError()
    })
    socket.on('close', () => this.#onSocketClose())
  }

  /** Opens the connection; rejects with ConnectionError (naming host:port, with the cause). */
  static connect(opts: FramedSocketOptions): Promise<FramedSocket> {
    // IPv6 literals are bracketed so the port stays unambiguous: [::1]:9092.
    const address = opts.host.includes(':') ? `[${opts.host}]:${opts.port}` : `${opts.host}:${opts.port}`
    const timeoutMs = opts.connectTimeoutMs ?? 10_000
    // Built before any socket exists, so a bad bound is a thrown ConfigError, not a leaked socket.
    const decoder = new FrameDecoder(opts.maxFrameBytes)
    if (opts.signal?.aborted) {
      return Promise.reject(
        new ConnectionError(`connect to ${address} aborted`, { cause: opts.signal.reason }),
      )
    }

    return new Promise<FramedSocket>((resolve, reject) => {
      const useTls = opts.tls !== undefined && opts.tls !== false
      let socket: net.Socket
      if (useTls) {
        const tlsOpts: tls.ConnectionOptions = opts.tls === true ? {} : (opts.tls as tls.ConnectionOptions)
        // SNI must not carry an IP address (RFC 6066); Node warns and servers may reject it.
        const servername = tlsOpts.servername ?? (net.isIP(opts.host) ? undefined : opts.host)
        socket = tls.connect({ ...tlsOpts, host: opts.host, port: opts.port, servername })
      } else {
        socket = net.connect({ host: opts.host, port: opts.port })
      }
      socket.pause() // nothing is read until a frame handler is attached, so no frame is lost

      let settled = false
      const finish = (err?: Error): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
        socket.off('error', onError)
        socket.off('close', onEarlyClose)
        if (err) {
          socket.destroy()
          reject(err)
          return
        }
        socket.setNoDelay(opts.noDelay ?? true)
        resolve(new FramedSocket(socket, address, decoder))
      }
      const onError = (err: Error): void => {
        finish(
          clientCertificateRefused(err, address) ??
            new ConnectionError(`connect to ${address} failed: ${err.message}`, { cause: err }),
        )
      }
      const onEarlyClose = (): void => {
        finish(new ConnectionError(`connect to ${address} failed: socket closed during connect`))
      }
      const onAbort = (): void => {
        finish(new ConnectionError(`connect to ${address} aborted`, { cause: opts.signal?.reason }))
      }
      const timer = setTimeout(() => {
        finish(
          new ConnectionError(`connect to ${address} timed out after ${timeoutMs} ms`, {
            code: 'CONDUIT_CONNECT_TIMEOUT',
          }),
        )
      }, timeoutMs)
      timer.unref()
      socket.once('error', onError)
      socket.once('close', onEarlyClose)
      socket.once(useTls ? 'secureConnect' : 'connect', () => finish())
      opts.signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  get closed(): boolean {
    return this.#closed
  }

  /**
   * Receives every inbound frame (the bytes after the length prefix). A frame may be a view into
   * a larger buffer: copy it if it must outlive the handler's use. A handler that throws kills
   * the connection with that error, since the stream state after it is unknown.
   */
  onFrame(handler: FrameHandler): void {
    const first = this.#frameHandler === undefined
    this.#frameHandler = handler
    if (first && !this.#closed) {
      this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk))
      this.#socket.resume()
    }
  }

  /** Called once when the connection ended: no argument when this side closed it, else why. */
  onClose(handler: CloseHandler): void {
    this.#closeHandler = handler
    if (this.#closed) {
      const err = this.#closeError
      queueMicrotask(() => handler(err))
    }
  }

  /**
   * Writes whole frames (already length-prefixed). Several frames go out in one syscall. Returns
   * false when the socket's buffer is over its high-water mark: await waitWritable() before more.
   */
  write(data: Uint8Array | Uint8Array[]): boolean {
    if (this.#closed || this.#closing || this.#socket.destroyed) {
      throw new ConnectionError(`connection to ${this.remoteAddress} is closed`, { cause: this.#closeError })
    }
    if (!Array.isArray(data)) return this.#socket.write(data)
    if (data.length === 1) return this.#socket.write(data[0]!)
    this.#socket.cork()
    let ok = true
    for (const part of data) ok = this.#socket.write(part)
    this.#socket.uncork()
    return ok && !this.#socket.writableNeedDrain
  }

  /**
   * Resolves once the socket buffer drained; rejects if the connection closes first. With
   * `timeoutMs`, a peer that stops reading cannot hold the caller forever: past it the connection
   * is destroyed (what was written has an unknown fate) and this rejects with a TimeoutError.
   */
  waitWritable(timeoutMs?: number, what = 'write'): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new ConnectionError(`connection to ${this.remoteAddress} is closed`, { cause: this.#closeError }),
      )
    }
    if (!this.#socket.writableNeedDrain) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const onDrain = (): void => {
        clearTimeout(timer)
        this.#socket.off('close', onClose)
        resolve()
      }
      const onClose = (): void => {
        clearTimeout(timer)
        this.#socket.off('drain', onDrain)
        reject(
          this.#failure instanceof TimeoutError
            ? this.#failure
            : new ConnectionError(`connection to ${this.remoteAddress} closed while waiting to write`),
        )
      }
      this.#socket.once('drain', onDrain)
      this.#socket.once('close', onClose)
      if (timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          this.destroy(
            new TimeoutError(
              `${what} to ${this.remoteAddress} could not be written within ${timeoutMs} ms: the peer stopped reading`,
            ),
          )
        }, timeoutMs)
      }
    })
  }

  /**
   * Graceful close: flushes what was written, sends FIN and keeps reading frames (late responses)
   * until the peer closes too; destroys the socket if the peer has not closed within `graceMs`.
   */
  close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    if (this.#closed) return Promise.resolve()
    const done = new Promise<void>((resolve) => this.#closeWaiters.push(resolve))
    if (!this.#closing) {
      this.#closing = true
      this.#socket.end()
      // A paused socket never reads the peer's FIN; reading is needed to finish the close.
      if (this.#frameHandler === undefined) this.#socket.resume()
      const timer = setTimeout(() => this.#socket.destroy(), graceMs)
      timer.unref()
      this.#socket.once('close', () => clearTimeout(timer))
    }
    return done
  }

  /** Closes at once. With `err`, onClose receives it (wrapped in ConnectionError unless typed). */
  destroy(err?: Error): void {
    if (this.#closed) return
    if (err) this.#failure ??= err
    else this.#closing = true
    this.#socket.destroy()
  }

  #onData(chunk: Buffer): void {
    if (this.#socket.destroyed) return
    try {
      this.#decoder.push(chunk, (frame) => {
        this.#frameHandler!(frame)
        return !this.#socket.destroyed
      })
    } catch (err) {
      this.destroy(err instanceof Error ? err : new Error(String(err)))
    }
  }

  #peerClosedError(): ConnectionError {
    const pending = this.#decoder.pendingFrameBytes
    const buffered = this.#decoder.bufferedBytes
    const where =
      pending !== undefined
        ? ` in the middle of a frame (${buffered - 4} of ${pending} bytes received)`
        : buffered > 0
          ? ` in the middle of a frame length (${buffered} of 4 bytes received)`
          : ''
    return new ConnectionError(`connection to ${this.remoteAddress} closed by the peer${where}`)
  }

  #onSocketClose(): void {
    if (this.#closed) return
    this.#closed = true
    const failure = this.#failure
    if (failure !== undefined) {
      this.#closeError =
        failure instanceof ConduitError
          ? failure
          : (clientCertificateRefused(failure, this.remoteAddress) ??
            new ConnectionError(`connection to ${this.remoteAddress} lost: ${failure.message}`, {
              cause: failure,
            }))
    }
    for (const resolve of this.#closeWaiters.splice(0)) resolve()
    const handler = this.#closeHandler
    if (handler) handler(this.#closeError)
  }
}

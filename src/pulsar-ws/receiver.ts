// What consumers and readers share: the socket, the local queue of delivered messages, waiting
// receivers, the isEndOfTopic question and its answers (matched in order: the server answers each
// question on the socket it was asked on, between messages), and the async iterator.
//
// On a drop, messages queued locally and not yet received are discarded: they were not acked, so
// the broker delivers them again on the new session — keeping them too would hand them out twice.

import { ClosedError, ProtocolError } from '../core/errors.ts'
import type { TopicAddress } from './endpoint.ts'
import { PulsarWsMessage } from './message.ts'
import { commands, decodeConsumerFrame } from './protocol.ts'
import type { DeliveredFrame } from './protocol.ts'
import { ReconnectingSocket } from './socket.ts'
import type { SocketOptions } from './socket.ts'

type Waiter = { resolve(m: PulsarWsMessage | undefined): void; reject(e: Error): void }

export abstract class Receiver implements AsyncIterable<PulsarWsMessage> {
  readonly address: TopicAddress
  /** `persistence://tenant/namespace/topic`. */
  readonly topic: string
  readonly socket: ReconnectingSocket
  protected readonly queue: PulsarWsMessage[] = []
  readonly #waiters: Waiter[] = []
  readonly #endOfTopic: { resolve(v: boolean): void; reject(e: Error): void }[] = []
  readonly #reconnectListeners = new Set<() => void>()
  readonly #disconnectListeners = new Set<() => void>()
  /** Commands written while the socket was down, sent in order once it is back. */
  readonly #outbox: string[] = []
  #undelivered: Error | undefined
  #closed = false
  #onClose: (() => void) | undefined

  constructor(url: () => string, address: TopicAddress, socket: SocketOptions, label: string) {
    this.address = address
    this.topic = `${address.persistence}://${address.tenant}/${address.namespace}/${address.topic}`
    this.socket = new ReconnectingSocket(
      url,
      socket,
      {
        onMessage: (text) => this.#onFrame(text),
        onOpen: (reconnected) => this.#onOpen(reconnected),
        onDown: () => {
          this.onDown()
          for (const l of [...this.#disconnectListeners]) l()
        },
        onFailed: (error) => this.#fail(error),
      },
      `${label} ${this.topic}`,
    )
  }

  get closed(): boolean {
    return this.#closed
  }

  async start(onClose?: () => void): Promise<this> {
    this.#onClose = onClose
    await this.socket.start()
    return this
  }

  /** Called (after the local queue was cleared) each time the socket came back. */
  onReconnect(listener: () => void): () => void {
    this.#reconnectListeners.add(listener)
    return () => this.#reconnectListeners.delete(listener)
  }

  /**
   * Called each time the socket dropped, after the local queue was cleared: whatever was received
   * and not acked will be redelivered on the next session, so copies held elsewhere are stale.
   */
  onDisconnect(listener: () => void): () => void {
    this.#disconnectListeners.add(listener)
    return () => this.#disconnectListeners.delete(listener)
  }

  /** The next message; undefined once closed. A signal abort rejects with its reason. */
  receive(signal?: AbortSignal): Promise<PulsarWsMessage | undefined> {
    const queued = this.queue.shift()
    if (queued) {
      this.afterTake()
      return Promise.resolve(queued)
    }
    if (this.#undelivered) {
      const error = this.#undelivered
      this.#undelivered = undefined
      return Promise.reject(error)
    }
    if (this.#closed) return Promise.resolve(undefined)
    if (signal?.aborted) return Promise.reject(signal.reason as Error)
    return new Promise<PulsarWsMessage | undefined>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (m) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(m)
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort)
          reject(e)
        },
      }
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter)
        if (i >= 0) this.#waiters.splice(i, 1)
        reject(signal!.reason as Error)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(waiter)
      this.afterWait()
    })
  }

  /** Up to `max` messages already here, without waiting. */
  receiveNow(max: number): PulsarWsMessage[] {
    const out = this.queue.splice(0, Math.max(0, max))
    if (out.length > 0) this.afterTake()
    return out
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PulsarWsMessage> {
    for (;;) {
      const m = await this.receive()
      if (m === undefined) return
      yield m
    }
  }

  /** Whether the topic was terminated and every message of it was delivered to this subscription/reader. */
  isEndOfTopic(): Promise<boolean> {
    if (this.#closed) return Promise.reject(new ClosedError(`${this.topic}: closed`))
    return new Promise<boolean>((resolve, reject) => {
      this.#endOfTopic.push({ resolve, reject })
      this.command(commands.isEndOfTopic())
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.socket.close()
    for (const w of this.#waiters.splice(0)) w.resolve(undefined)
    for (const q of this.#endOfTopic.splice(0)) q.reject(new ClosedError(`${this.topic}: closed`))
    this.#onClose?.()
  }

  /** Writes a command now, or keeps it for when the socket is back. */
  protected command(text: string): void {
    if (this.#outbox.length > 0 || !this.socket.send(text)) this.#outbox.push(text)
  }

  /** Hook: a message was taken from the queue (pull mode gives permits here). */
  protected afterTake(): void {}
  /** Hook: a receiver started waiting on an empty queue. */
  protected afterWait(): void {}
  /** Hook: a message arrived (before it is queued or handed to a waiter). */
  protected abstract accepted(message: PulsarWsMessage): void
  /** Hook: the socket came back, after the queue was cleared and before listeners run. */
  protected abstract resumed(): void

  protected onDown(): void {
    this.queue.length = 0
  }

  /** Clears what belongs to the old session (used by seek, which cycles the socket itself). */
  protected resetSession(): void {
    this.queue.length = 0
    this.#outbox.length = 0
  }

  #onOpen(reconnected: boolean): void {
    if (reconnected) {
      // (The queue was cleared when the socket dropped; frames of the new session may already be
      // in it — a server can send its first frame in the packet that completes the handshake.)
      // Questions asked on the old socket may never have been answered: ask again.
      const asked = this.#endOfTopic.length
      const pending = this.#outbox.splice(0).filter((c) => c !== commands.isEndOfTopic())
      for (let i = 0; i < asked; i++) pending.push(commands.isEndOfTopic())
      this.#outbox.push(...pending)
    }
    for (const c of this.#outbox.splice(0)) this.command(c)
    if (reconnected) {
      this.resumed()
      for (const l of [...this.#reconnectListeners]) l()
    }
  }

  #onFrame(text: string): void {
    let frame
    try {
      frame = decodeConsumerFrame(text)
    } catch (error) {
      this.#deliverError(error as Error)
      return
    }
    if (frame.kind === 'endOfTopic') {
      this.#endOfTopic.shift()?.resolve(frame.endOfTopic)
      return
    }
    let message: PulsarWsMessage
    try {
      message = this.decode(frame)
    } catch (error) {
      this.#deliverError(error as Error)
      return
    }
    this.accepted(message)
    const waiter = this.#waiters.shift()
    if (waiter) {
      waiter.resolve(message)
      this.afterTake()
    } else this.queue.push(message)
  }

  protected decode(frame: DeliveredFrame): PulsarWsMessage {
    return new PulsarWsMessage(frame, this.address)
  }

  /** A frame that cannot be read is reported to the next receive() instead of being dropped silently. */
  #deliverError(error: Error): void {
    const wrapped =
      error instanceof ProtocolError ? error : new ProtocolError(error.message, { cause: error })
    const waiter = this.#waiters.shift()
    if (waiter) waiter.reject(wrapped)
    else this.#undelivered = wrapped
  }

  #fail(error: Error): void {
    this.#closed = true
    for (const w of this.#waiters.splice(0)) w.reject(error)
    for (const q of this.#endOfTopic.splice(0)) q.reject(error)
    this.#undelivered = error
    this.#onClose?.()
  }
}

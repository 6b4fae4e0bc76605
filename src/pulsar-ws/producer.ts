// A long-lived producer on `/ws/v2/producer/...`. Every message carries a `context`; the server
// answers each one with that context, in completion order (not send order), so receipts are
// matched by context — never by position.
//
// Flow: send() checks the message and its encoded frame size (the server closes the socket on a
// frame above webSocketMaxTextFrameSize, so an oversized message fails here with
// MessageTooLargeError and nothing else is lost), queues it, and a pump writes queued frames while
// fewer than `window` are unacknowledged — the server's producer does not block when its own queue
// (maxPendingMessages) is full, it fails the send, so the client must not overrun it.
//
// When the socket drops, frames written but not acknowledged go back to the front of the queue, in
// their original order, and are written again once the socket is back: at-least-once (a frame the
// broker stored just before the drop is stored twice). A send fails only on a send error from the
// server, on its own sendTimeoutMs, on close({ drop: true }) before it was written, or when the
// socket cannot be reopened (non-retriable handshake failure).

import { randomBytes } from 'node:crypto'
import { BrokerError, ClosedError, ConfigError, MessageTooLargeError, TimeoutError } from '../core/errors.ts'
import { toBytes } from '../core/message.ts'
import type { TopicAddress } from './endpoint.ts'
import { encodeKey, KEY_ENCODING_PROPERTY } from './message.ts'
import { messageIdFromWs } from './message-id.ts'
import type { MessageId } from './message-id.ts'
import { decodeProducerAck, encodeBase64, encodeSendFrame } from './protocol.ts'
import type { SendFrame } from './protocol.ts'
import { ReconnectingSocket } from './socket.ts'
import type { SocketOptions } from './socket.ts'

/** Pulsar's default webSocketMaxTextFrameSize (1 MiB). */
export const DEFAULT_MAX_TEXT_FRAME_SIZE = 1024 * 1024

/** A message: a payload alone, or an object with the payload and any of the optional fields. */
export type WsMessageInput =
  | string
  | Uint8Array
  | {
      payload: string | Uint8Array
      key?: string | Uint8Array | null
      properties?: Readonly<Record<string, string>>
      /** Echoed in the receipt; generated when omitted. Must be unique among pending sends. */
      context?: string
      eventTime?: Date | number
      /** Deliver no earlier than this time (Shared subscriptions). */
      deliverAt?: Date | number
      deliverAfterMs?: number
      replicationClusters?: readonly string[]
    }

export interface WsSendReceipt {
  /** The id as the WebSocket API gave it (base64 MessageIdData). */
  messageId: string
  id: MessageId
  context: string
  /** `persistence://tenant/namespace/topic`. */
  topic: string
}

export type ReceiptCallback = (
  error: Error | null,
  receipt: WsSendReceipt | undefined,
  context: string,
) => void

export interface WsProducerSettings {
  socket: SocketOptions
  /** Most messages queued or unacknowledged locally; send() waits and trySend() refuses above it. Default 1000. */
  bufferSize?: number
  /** Most frames written and not yet acknowledged. Default: maxPendingMessages, else 1000. */
  window?: number
  /** A send not acknowledged within this time fails with TimeoutError. Default 30 000 ms; 0 = never. */
  sendTimeoutMs?: number
  /** The server's webSocketMaxTextFrameSize. Default 1 MiB. */
  maxTextFrameSize?: number
  /** Called for every receipt and every send failure (Stargate's acknowledger callback). */
  onReceipt?: ReceiptCallback
}

interface Pending {
  seq: number
  context: string
  frame: string
  written: boolean
  timer: ReturnType<typeof setTimeout> | undefined
  resolve(receipt: WsSendReceipt): void
  reject(error: Error): void
}

function epochMs(value: Date | number, name: string): number {
  const ms = value instanceof Date ? value.getTime() : value
  if (typeof ms !== 'number' || !Number.isFinite(ms))
    throw new ConfigError(`${name} must be a Date or epoch milliseconds`)
  return ms
}

/** Builds the JSON frame of one message; every check of user input happens here. */
export function buildSendFrame(message: WsMessageInput, context: string): SendFrame {
  if (typeof message === 'string' || message instanceof Uint8Array) {
    return { payload: encodeBase64(toBytes(message)), context }
  }
  if (message === null || typeof message !== 'object') {
    throw new ConfigError('a message is a string, a Uint8Array, or { payload, key?, properties?, context? }')
  }
  const { payload, key, properties, eventTime, deliverAt, deliverAfterMs, replicationClusters } = message
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
    throw new ConfigError(
      'message payload must be a string or a Uint8Array (the WebSocket API has no null payload)',
    )
  }
  const frame: SendFrame = { payload: encodeBase64(toBytes(payload)), context }
  const props: Record<string, string> = {}
  if (properties !== undefined) {
    if (properties === null || typeof properties !== 'object')
      throw new ConfigError('message properties must be an object')
    for (const [k, v] of Object.entries(properties)) {
      if (typeof v !== 'string') throw new ConfigError(`property "${k}" must be a string`)
      if (k === KEY_ENCODING_PROPERTY) throw new ConfigError(`property "${k}" is reserved for binary keys`)
      props[k] = v
    }
  }
  if (key !== undefined && key !== null) {
    if (typeof key !== 'string' && !(key instanceof Uint8Array))
      throw new ConfigError('message key must be a string or a Uint8Array')
    const encoded = encodeKey(key)
    frame.key = encoded.key
    if (encoded.marker) props[KEY_ENCODING_PROPERTY] = 'base64'
  }
  if (Object.keys(props).length > 0) frame.properties = props
  if (eventTime !== undefined) frame.eventTime = new Date(epochMs(eventTime, 'eventTime')).toISOString()
  if (deliverAt !== undefined) frame.deliverAt = epochMs(deliverAt, 'deliverAt')
  if (deliverAfterMs !== undefined) {
    if (!Number.isSafeInteger(deliverAfterMs) || deliverAfterMs < 0)
      throw new ConfigError('deliverAfterMs must be a non-negative integer')
    frame.deliverAfterMs = deliverAfterMs
  }
  if (replicationClusters !== undefined) {
    if (!Array.isArray(replicationClusters) || replicationClusters.some((c) => typeof c !== 'string')) {
      throw new ConfigError('replicationClusters must be an array of cluster names')
    }
    frame.replicationClusters = replicationClusters
  }
  return frame
}

function contextOf(message: WsMessageInput): string | undefined {
  if (
    typeof message === 'string' ||
    message instanceof Uint8Array ||
    message === null ||
    typeof message !== 'object'
  )
    return undefined
  const c = message.context
  if (c === undefined) return undefined
  if (typeof c !== 'string' || c.length === 0)
    throw new ConfigError('message context must be a non-empty string')
  return c
}

export class PulsarWsProducer {
  readonly address: TopicAddress
  /** `persistence://tenant/namespace/topic`. */
  readonly topic: string
  readonly socket: ReconnectingSocket
  readonly #settings: WsProducerSettings
  readonly #bufferSize: number
  readonly #window: number
  readonly #maxFrame: number
  readonly #contextPrefix = randomBytes(4).toString('hex')
  #seq = 0
  #contexts = 0
  /** Not yet written, in send order. */
  #queue: Pending[] = []
  /** Written, awaiting the server's answer, by context. */
  readonly #inFlight = new Map<string, Pending>()
  readonly #roomWaiters: (() => void)[] = []
  readonly #idleWaiters: (() => void)[] = []
  #pumpScheduled = false
  #closed = false
  #failure: Error | undefined
  #onClose: (() => void) | undefined

  constructor(url: string, address: TopicAddress, settings: WsProducerSettings, window?: number) {
    this.address = address
    this.topic = `${address.persistence}://${address.tenant}/${address.namespace}/${address.topic}`
    this.#settings = settings
    this.#bufferSize = settings.bufferSize ?? 1000
    this.#window = settings.window ?? window ?? 1000
    this.#maxFrame = settings.maxTextFrameSize ?? DEFAULT_MAX_TEXT_FRAME_SIZE
    for (const [name, v] of [
      ['bufferSize', this.#bufferSize],
      ['window', this.#window],
      ['maxTextFrameSize', this.#maxFrame],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 1)
        throw new ConfigError(`${name} must be a positive integer, got ${String(v)}`)
    }
    const timeout = settings.sendTimeoutMs ?? 30_000
    if (!Number.isSafeInteger(timeout) || timeout < 0)
      throw new ConfigError('sendTimeoutMs must be a non-negative integer')
    this.socket = new ReconnectingSocket(
      () => url,
      settings.socket,
      {
        onMessage: (text) => this.#onAck(text),
        onOpen: () => this.#schedulePump(),
        onDown: () => this.#requeueInFlight(),
        onFailed: (error) => this.#fail(error),
      },
      `producer ${this.topic}`,
    )
  }

  /** Opens the socket; rejects with the server's typed answer when the producer cannot be created. */
  async start(onClose?: () => void): Promise<this> {
    this.#onClose = onClose
    await this.socket.start()
    return this
  }

  /** Messages queued or awaiting acknowledgement. */
  get pending(): number {
    return this.#queue.length + this.#inFlight.size
  }

  /** Sends one message (or several) and resolves with the receipt(s) once the broker stored them. */
  send(message: WsMessageInput): Promise<WsSendReceipt>
  send(messages: readonly WsMessageInput[]): Promise<WsSendReceipt[]>
  send(m: WsMessageInput | readonly WsMessageInput[]): Promise<WsSendReceipt | WsSendReceipt[]> {
    if (Array.isArray(m)) {
      let prepared: { frame: string; context: string }[]
      try {
        prepared = (m as readonly WsMessageInput[]).map((x) => this.#prepare(x))
      } catch (error) {
        return Promise.reject(error as Error)
      }
      return Promise.all(prepared.map((p) => this.#enqueueWhenRoom(p)))
    }
    try {
      return this.#enqueueWhenRoom(this.#prepare(m as WsMessageInput))
    } catch (error) {
      return Promise.reject(error as Error)
    }
  }

  /** Non-blocking: queues the message and returns its context, or undefined when the buffer is full. */
  trySend(message: WsMessageInput, callback?: ReceiptCallback): string | undefined {
    const prepared = this.#prepare(message)
    if (this.pending >= this.#bufferSize) return undefined
    this.#enqueue(prepared).then(
      (receipt) => callback?.(null, receipt, prepared.context),
      (error: Error) => callback?.(error, undefined, prepared.context),
    )
    return prepared.context
  }

  /**
   * Asynchronous acknowledgement: returns the message's context at once and calls `callback` with
   * the receipt (or the error) when the server answers for that context.
   */
  sendWithCallback(message: WsMessageInput, callback: ReceiptCallback): string {
    if (typeof callback !== 'function') throw new ConfigError('sendWithCallback needs a callback function')
    const prepared = this.#prepare(message)
    this.#enqueueWhenRoom(prepared).then(
      (receipt) => callback(null, receipt, prepared.context),
      (error: Error) => callback(error, undefined, prepared.context),
    )
    return prepared.context
  }

  /** Resolves when every message sent so far is acknowledged or failed. */
  async flush(): Promise<void> {
    if (this.pending === 0) return
    const last = this.#seq
    await new Promise<void>((resolve) => {
      const check = (): void => {
        const oldest = Math.min(
          this.#queue[0]?.seq ?? Infinity,
          ...[...this.#inFlight.values()].map((p) => p.seq),
        )
        if (oldest > last) resolve()
        else this.#idleWaiters.push(check)
      }
      check()
    })
  }

  /**
   * Closes the producer. Without `drop`, waits until everything sent is acknowledged (or failed);
   * with `drop`, first fails the messages not yet written to the socket. Resolves with how many
   * were dropped.
   */
  async close(options: { drop?: boolean } = {}): Promise<number> {
    if (this.#closed) return 0
    this.#closed = true
    let dropped = 0
    if (options.drop) {
      const queue = this.#queue
      this.#queue = []
      for (const p of queue) {
        dropped++
        this.#settle(p)
        p.reject(new ClosedError('the producer was closed with drop before this message was sent'))
      }
    }
    for (const wake of this.#roomWaiters.splice(0)) wake()
    await this.flush()
    await this.socket.close()
    this.#onClose?.()
    return dropped
  }

  #prepare(message: WsMessageInput): { frame: string; context: string } {
    if (this.#closed) throw new ClosedError(`producer ${this.topic} is closed`)
    if (this.#failure) throw this.#failure
    const given = contextOf(message)
    // Generated contexts are unique by construction; a user's must not collide with a pending one.
    if (given !== undefined && (this.#inFlight.has(given) || this.#queue.some((p) => p.context === given))) {
      throw new ConfigError(`context "${given}" is already in use by a pending message`)
    }
    const context = given ?? `${this.#contextPrefix}-${++this.#contexts}`
    const frame = encodeSendFrame(buildSendFrame(message, context))
    const size = Buffer.byteLength(frame, 'utf8')
    if (size > this.#maxFrame) {
      const error = new MessageTooLargeError(size, this.#maxFrame)
      error.message = `message frame of ${size} bytes (payload in base64 plus JSON) exceeds the server's webSocketMaxTextFrameSize of ${this.#maxFrame} bytes`
      throw error
    }
    return { frame, context }
  }

  async #enqueueWhenRoom(prepared: { frame: string; context: string }): Promise<WsSendReceipt> {
    while (this.pending >= this.#bufferSize) {
      if (this.#closed) throw new ClosedError(`producer ${this.topic} is closed`)
      await new Promise<void>((resolve) => this.#roomWaiters.push(resolve))
    }
    if (this.#closed) throw new ClosedError(`producer ${this.topic} is closed`)
    if (this.#failure) throw this.#failure
    return this.#enqueue(prepared)
  }

  #enqueue(prepared: { frame: string; context: string }): Promise<WsSendReceipt> {
    return new Promise<WsSendReceipt>((resolve, reject) => {
      const pending: Pending = {
        seq: ++this.#seq,
        context: prepared.context,
        frame: prepared.frame,
        written: false,
        timer: undefined,
        resolve,
        reject,
      }
      const timeout = this.#settings.sendTimeoutMs ?? 30_000
      if (timeout > 0) {
        pending.timer = setTimeout(() => this.#timeOut(pending, timeout), timeout)
        pending.timer.unref()
      }
      this.#queue.push(pending)
      this.#schedulePump()
    }).then(
      (receipt) => {
        this.#settings.onReceipt?.(null, receipt, prepared.context)
        return receipt
      },
      (error: Error) => {
        this.#settings.onReceipt?.(error, undefined, prepared.context)
        throw error
      },
    )
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return
    this.#pumpScheduled = true
    // Written on the next turn, so that close({ drop: true }) right after a burst of trySend()
    // still finds them unsent (libbeat's drop-on-cancel).
    setImmediate(() => {
      this.#pumpScheduled = false
      this.#pump()
    })
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#inFlight.size < this.#window && this.socket.isOpen) {
      const p = this.#queue.shift()!
      p.written = true
      this.#inFlight.set(p.context, p)
      this.socket.send(p.frame)
    }
  }

  #onAck(text: string): void {
    let ack
    try {
      ack = decodeProducerAck(text)
    } catch {
      return // a frame we cannot read answers nothing we can match; its send times out
    }
    if (ack.context === undefined) return
    const p = this.#inFlight.get(ack.context)
    if (!p) return // answered after a timeout, or a duplicate answer after a resend
    this.#settle(p)
    if (ack.ok) {
      let id: MessageId
      try {
        id = messageIdFromWs(ack.messageId)
      } catch (error) {
        p.reject(error as Error)
        return
      }
      p.resolve({ messageId: ack.messageId, id, context: p.context, topic: this.topic })
    } else {
      p.reject(
        new BrokerError(
          ack.code,
          ack.errorName,
          `send to ${this.topic} failed: ${ack.errorName}${ack.message ? `: ${ack.message}` : ''}`,
          {
            // UnknownError wraps the server producer's own failures (timeout, queue full,
            // disconnected broker): sending again later may work. The others are about the frame.
            retriable: ack.errorName === 'UnknownError',
          },
        ),
      )
    }
    this.#schedulePump()
  }

  /** Removes a pending message from every structure and wakes whoever waits for room or idleness. */
  #settle(p: Pending): void {
    if (p.timer) clearTimeout(p.timer)
    this.#inFlight.delete(p.context)
    const i = this.#queue.indexOf(p)
    if (i >= 0) this.#queue.splice(i, 1)
    const room = this.#roomWaiters.shift()
    room?.()
    if (this.#idleWaiters.length > 0) {
      for (const check of this.#idleWaiters.splice(0)) queueMicrotask(check)
    }
  }

  #timeOut(p: Pending, ms: number): void {
    if (!this.#inFlight.has(p.context) && !this.#queue.includes(p)) return
    this.#settle(p)
    p.reject(
      new TimeoutError(
        `send to ${this.topic} not acknowledged within ${ms} ms (${p.written ? 'written; the outcome is unknown' : 'never written: the socket was down'})`,
      ),
    )
  }

  #requeueInFlight(): void {
    if (this.#inFlight.size === 0) return
    const back = [...this.#inFlight.values()].sort((a, b) => a.seq - b.seq)
    this.#inFlight.clear()
    for (const p of back) p.written = false
    this.#queue = [...back, ...this.#queue]
  }

  #fail(error: Error): void {
    this.#failure = error
    const all = [...this.#inFlight.values(), ...this.#queue]
    for (const p of all) {
      this.#settle(p)
      p.reject(error)
    }
    for (const wake of this.#roomWaiters.splice(0)) wake()
  }
}

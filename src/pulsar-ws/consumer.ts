// A consumer on `/ws/v2/consumer/.../{subscription}`: acknowledge, negatively acknowledge,
// pull-mode permits, isEndOfTopic, unsubscribe, and — beyond what the WebSocket API offers —
// cumulative acknowledgement and seek.
//
// Flow control. Push mode (the server's default): the server sends until receiverQueueSize
// messages are unacknowledged, and each ack or nack lets one more through. Pull mode: nothing
// flows until the client gives permits; this consumer gives them as its queue is read (at most
// `permits` outstanding), so a slow async iterator or handler holds the broker back.
//
// Reconnect: the subscription lives in the broker, not in the socket. After a drop the same
// subscription is opened again; what was delivered and not acked is redelivered by the broker
// (the session that had it is gone), acks given while the socket was down are sent on the new
// session (an ack names a position of the subscription, valid from any session).
//
// Cumulative ack: the WebSocket API acks single messages only. ackCumulative(m) acks, one by one,
// every message this consumer received on m's partition up to m and has not acked — the same
// outcome as Pulsar's cumulative ack on Exclusive and Failover subscriptions (where it exists).
// Seek: the API has none; seek() closes the socket, moves the subscription's cursor with the
// admin REST API (by message id or publish time) and opens the socket again.

import { ConfigError, UnsupportedError } from '../core/errors.ts'
import type { ConsumerParams, SubscriptionType, TopicAddress } from './endpoint.ts'
import type { PulsarWsMessage } from './message.ts'
import { messageIdToWs, toMessageId } from './message-id.ts'
import type { MessageId } from './message-id.ts'
import { commands } from './protocol.ts'
import { Receiver } from './receiver.ts'
import type { SocketOptions } from './socket.ts'

/** Moves a subscription's cursor (the client provides it with the admin REST API). */
export type CursorReset = (subscription: string, target: MessageId | number) => Promise<void>

export interface WsConsumerSettings {
  socket: SocketOptions
  /** Pull mode: most permits outstanding (messages asked for and not yet received). Default 100. */
  permits?: number
  resetCursor?: CursorReset
}

export class PulsarWsConsumer extends Receiver {
  readonly subscription: string
  readonly params: Readonly<ConsumerParams>
  readonly subscriptionType: SubscriptionType
  readonly #permits: number
  readonly #pull: boolean
  readonly #resetCursor: CursorReset | undefined
  /** Pull mode: permits given on this session and not yet used. */
  #outstanding = 0
  #paused = false
  /** For cumulative acks: received and not acked, per partition, in arrival order. */
  readonly #unacked = new Map<number, Map<string, PulsarWsMessage>>()

  constructor(
    url: () => string,
    address: TopicAddress,
    subscription: string,
    params: ConsumerParams,
    settings: WsConsumerSettings,
  ) {
    super(url, address, settings.socket, `consumer ${subscription} on`)
    this.subscription = subscription
    this.params = { ...params }
    this.subscriptionType = params.subscriptionType ?? 'Exclusive'
    this.#pull = params.pullMode === true
    this.#permits = settings.permits ?? 100
    if (!Number.isSafeInteger(this.#permits) || this.#permits < 1)
      throw new ConfigError('permits must be a positive integer')
    this.#resetCursor = settings.resetCursor
  }

  override async start(onClose?: () => void): Promise<this> {
    await super.start(onClose)
    this.#refill()
    return this
  }

  get pullMode(): boolean {
    return this.#pull
  }

  /** Acknowledges one message (by the message or its id in any form). */
  ack(message: PulsarWsMessage | MessageId | string): void {
    const wsId = this.#wsId(message)
    this.#forget(message)
    this.command(commands.ack(wsId))
  }

  /** Asks for redelivery after the subscription's negativeAckRedeliveryDelay. */
  nack(message: PulsarWsMessage | MessageId | string): void {
    const wsId = this.#wsId(message)
    this.#forget(message)
    this.command(commands.nack(wsId))
  }

  /**
   * Acknowledges `message` and every earlier message of its partition this consumer received and
   * did not ack (Exclusive and Failover subscriptions, as in Pulsar). Returns how many were acked.
   */
  ackCumulative(message: PulsarWsMessage): number {
    if (this.subscriptionType !== 'Exclusive' && this.subscriptionType !== 'Failover') {
      throw new UnsupportedError(
        `cumulative acknowledgement needs an Exclusive or Failover subscription, this one is ${this.subscriptionType}`,
      )
    }
    const lane = this.#unacked.get(message.partition)
    const acked = new Set<string>()
    for (const [wsId, m] of lane ?? []) if (m.id.compare(message.id) <= 0) acked.add(wsId)
    acked.add(message.messageId)
    for (const wsId of acked) {
      lane?.delete(wsId)
      this.command(commands.ack(wsId))
    }
    const count = acked.size
    return count
  }

  /** Pull mode: asks the server for `n` more messages (on top of what this consumer asks by itself). */
  permit(n: number): void {
    if (!this.#pull) throw new ConfigError('permit() is for consumers created with pullMode: true')
    if (!Number.isSafeInteger(n) || n < 1) throw new ConfigError('permit(n) needs a positive integer')
    this.#outstanding += n
    this.command(commands.permit(n))
  }

  /** Pull mode: stop asking for messages (what is already asked for still arrives). */
  pause(): void {
    this.#paused = true
  }

  resume(): void {
    this.#paused = false
    this.#refill()
  }

  /** Deletes the subscription on the broker (Pulsar refuses while other consumers are attached) and closes. */
  async unsubscribe(): Promise<void> {
    this.command(commands.unsubscribe())
    await this.close()
  }

  /**
   * Moves the subscription to a message id (that message is delivered next) or to the first message
   * published at or after a time (Date or epoch ms). Messages queued locally are discarded.
   */
  async seek(target: PulsarWsMessage | MessageId | string | Date | number): Promise<void> {
    const reset = this.#resetCursor
    if (!reset) throw new UnsupportedError('seek needs the admin REST API, which this consumer was not given')
    let position: MessageId | number
    if (target instanceof Date) position = target.getTime()
    else if (typeof target === 'number') position = target
    else position = typeof target === 'object' && 'messageId' in target ? target.id : toMessageId(target)
    if (typeof position === 'number' && !Number.isFinite(position))
      throw new ConfigError('seek time must be a finite number')
    await this.socket.cycle(async () => {
      this.resetSession()
      this.#outstanding = 0
      this.#unacked.clear()
      await reset(this.subscription, position)
    })
  }

  protected accepted(message: PulsarWsMessage): void {
    if (this.#pull && this.#outstanding > 0) this.#outstanding--
    if (this.subscriptionType === 'Exclusive' || this.subscriptionType === 'Failover') {
      let lane = this.#unacked.get(message.partition)
      if (!lane) this.#unacked.set(message.partition, (lane = new Map()))
      lane.set(message.messageId, message)
    }
  }

  protected override afterTake(): void {
    this.#refill()
  }

  protected override afterWait(): void {
    this.#refill()
  }

  protected override onDown(): void {
    super.onDown()
    this.#outstanding = 0
    this.#unacked.clear()
  }

  protected resumed(): void {
    this.#outstanding = 0
    this.#refill()
  }

  /** Pull mode: tops permits up once at most half of them are still outstanding or queued. */
  #refill(): void {
    if (!this.#pull || this.#paused || this.closed || !this.socket.isOpen) return
    const have = this.#outstanding + this.queue.length
    if (have > this.#permits / 2) return
    const want = this.#permits - have
    this.#outstanding += want
    this.command(commands.permit(want))
  }

  #wsId(message: PulsarWsMessage | MessageId | string): string {
    if (typeof message === 'object' && 'messageId' in message) return message.messageId
    return messageIdToWs(toMessageId(message))
  }

  #forget(message: PulsarWsMessage | MessageId | string): void {
    if (typeof message === 'object' && 'messageId' in message)
      this.#unacked.get(message.partition)?.delete(message.messageId)
  }
}

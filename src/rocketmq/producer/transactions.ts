// Transactional messages (TransactionMQProducer): the message is first stored as a half message
// (invisible to consumers), the local transaction runs, then END_TRANSACTION commits or rolls it
// back. When that last step is lost or the answer was "unknown", the broker asks the producer
// group later with CHECK_TRANSACTION_STATE; `checkTransaction` decides then.

import { ConfigError } from '../../core/errors.ts'
import type { ProducerOwner } from '../client.ts'
import type { RemotingConnection } from '../connection.ts'
import { RequestCode } from '../protocol/codes.ts'
import { endTransactionHeader, TransactionState } from '../protocol/headers.ts'
import { decodeMessageExt, type MessageExt } from '../protocol/message-ext.ts'
import { decodeOffsetMessageId } from '../protocol/message-id.ts'
import { Property } from '../protocol/properties.ts'
import { createRequest, type RemotingCommand } from '../protocol/remoting-command.ts'
import { prepareMessage, type RocketMQMessage, type RocketMQSendResult } from './message.ts'
import type { RocketMQProducer } from './producer.ts'

export type TransactionOutcome = 'commit' | 'rollback' | 'unknown'

export interface TransactionCallbacks {
  /** Answers the broker's check-back for a half message whose outcome it does not know. */
  checkTransaction(message: MessageExt): Promise<TransactionOutcome> | TransactionOutcome
}

export interface TransactionResult {
  send: RocketMQSendResult
  outcome: TransactionOutcome
}

const STATE: Record<TransactionOutcome, number> = {
  commit: TransactionState.COMMIT,
  rollback: TransactionState.ROLLBACK,
  unknown: TransactionState.UNKNOWN,
}

export class TransactionalProducer implements ProducerOwner {
  readonly producer: RocketMQProducer
  readonly #callbacks: TransactionCallbacks
  readonly group: string

  /**
   * Wraps a producer whose group is used for transactions only: the broker sends check-backs to
   * any member of the group, so every member must be able to answer for every transaction.
   */
  constructor(producer: RocketMQProducer, callbacks: TransactionCallbacks) {
    if (typeof callbacks?.checkTransaction !== 'function')
      throw new ConfigError('a transactional producer needs checkTransaction')
    this.producer = producer
    this.group = producer.group
    this.#callbacks = callbacks
    // The producer registers this owner instead of itself so check-backs reach us.
    producer.owner = this
    producer.start()
  }

  /**
   * Sends a half message, runs `local` and ends the transaction with its outcome. A `local` that
   * throws rolls back. The END_TRANSACTION is oneway: if it is lost the broker checks back.
   */
  async send(
    message: RocketMQMessage,
    local: (send: RocketMQSendResult) => Promise<TransactionOutcome> | TransactionOutcome,
  ): Promise<TransactionResult> {
    if (message.delayLevel !== undefined || message.deliverAt !== undefined) {
      throw new ConfigError('transactional messages cannot be delayed')
    }
    const prepared = prepareMessage(message)
    prepared.properties[Property.TRANSACTION_PREPARED] = 'true'
    prepared.properties[Property.PRODUCER_GROUP] = this.group
    const send = await this.producer.sendPrepared(prepared)
    let outcome: TransactionOutcome
    try {
      outcome = await local(send)
    } catch {
      outcome = 'rollback'
    }
    await this.#end(send, outcome).catch(() => {
      // Lost END_TRANSACTION: the broker's check-back settles it.
    })
    return { send, outcome }
  }

  async #end(send: RocketMQSendResult, outcome: TransactionOutcome): Promise<void> {
    const address = await this.producer.client.brokerAddressOrRefresh(send.queue.brokerName, send.queue.topic)
    const header = endTransactionHeader({
      topic: send.queue.topic,
      producerGroup: this.group,
      tranStateTableOffset: send.queueOffset,
      commitLogOffset: decodeOffsetMessageId(send.offsetMsgId).commitLogOffset,
      commitOrRollback: STATE[outcome],
      fromTransactionCheck: false,
      msgId: send.msgId,
      transactionId: send.transactionId ?? send.msgId,
    })
    await this.producer.client
      .getOrNewBroker(address)
      .oneway(createRequest(RequestCode.END_TRANSACTION, header))
  }

  /** CHECK_TRANSACTION_STATE from a broker: answer (oneway END_TRANSACTION) if the group is ours. */
  async handleBrokerRequest(
    request: RemotingCommand,
    connection: RemotingConnection,
  ): Promise<RemotingCommand | null> {
    if (request.code !== RequestCode.CHECK_TRANSACTION_STATE || !request.body) return null
    const message = decodeMessageExt(request.body)
    if (message.properties[Property.PRODUCER_GROUP] !== this.group) return null
    let outcome: TransactionOutcome
    try {
      outcome = await this.#callbacks.checkTransaction(message)
    } catch {
      outcome = 'unknown'
    }
    const h = request.extFields
    const header = endTransactionHeader({
      topic: message.topic,
      producerGroup: this.group,
      tranStateTableOffset: Number(h.tranStateTableOffset ?? message.queueOffset),
      commitLogOffset: Number(h.commitLogOffset ?? message.commitLogOffset),
      commitOrRollback: STATE[outcome],
      fromTransactionCheck: true,
      msgId: message.properties[Property.UNIQ_CLIENT_MESSAGE_ID_KEYIDX] ?? h.msgId ?? message.msgId,
      transactionId: h.transactionId ?? message.properties[Property.TRANSACTION_ID],
    })
    await connection.oneway(createRequest(RequestCode.END_TRANSACTION, header))
    return null
  }

  close(): Promise<void> {
    return this.producer.close()
  }
}

// Request-reply (RocketMQ 4.6+): the requester sends a normal message carrying CORRELATION_ID,
// REPLY_TO_CLIENT (its client id) and TTL; the responder, a consumer, sends the reply with
// SEND_REPLY_MESSAGE_V2 to `<cluster>_REPLY_TOPIC`; the broker pushes the reply straight to the
// requesting client (PUSH_REPLY_MESSAGE_TO_CLIENT), which matches it by correlation id.

import { ConfigError, TimeoutError } from '../../core/errors.ts'
import type { RocketMQClient } from '../client.ts'
import { RequestCode, ResponseCode } from '../protocol/codes.ts'
import type { MessageExt } from '../protocol/message-ext.ts'
import { uniqueKeys } from '../protocol/message-id.ts'
import { decodeProperties, Property } from '../protocol/properties.ts'
import { createResponse } from '../protocol/remoting-command.ts'
import { prepareMessage, type RocketMQMessage } from './message.ts'
import type { RocketMQProducer } from './producer.ts'

export interface Reply {
  body: Uint8Array
  properties: Record<string, string>
  topic: string
}

type Waiter = (reply: Reply) => void
const waitersByClient = new WeakMap<RocketMQClient, Map<string, Waiter>>()

function waiters(client: RocketMQClient): Map<string, Waiter> {
  let map = waitersByClient.get(client)
  if (!map) {
    const created = new Map<string, Waiter>()
    map = created
    waitersByClient.set(client, created)
    client.onRequestCode(RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT, (request) => {
      const properties = decodeProperties(request.extFields.properties ?? '')
      const id = properties[Property.CORRELATION_ID]
      const waiter = id === undefined ? undefined : created.get(id)
      if (waiter && id !== undefined) {
        created.delete(id)
        waiter({ body: request.body ?? new Uint8Array(), properties, topic: request.extFields.topic ?? '' })
      }
      return createResponse(request, ResponseCode.SUCCESS)
    })
  }
  return map
}

/** Sends `message` and resolves with the reply, or rejects with TimeoutError after `timeoutMs`. */
export async function request(
  producer: RocketMQProducer,
  message: RocketMQMessage,
  timeoutMs = 3000,
): Promise<Reply> {
  const prepared = prepareMessage(message)
  const correlationId = uniqueKeys.create()
  prepared.properties[Property.CORRELATION_ID] = correlationId
  prepared.properties[Property.MESSAGE_REPLY_TO_CLIENT] = producer.client.clientId
  prepared.properties[Property.MESSAGE_TTL] = String(timeoutMs)
  const map = waiters(producer.client)
  const reply = new Promise<Reply>((resolve, reject) => {
    const timer = setTimeout(() => {
      map.delete(correlationId)
      reject(
        new TimeoutError(`no reply to request ${correlationId} on ${message.topic} within ${timeoutMs} ms`),
      )
    }, timeoutMs)
    timer.unref()
    map.set(correlationId, (r) => {
      clearTimeout(timer)
      resolve(r)
    })
  })
  try {
    await producer.sendPrepared(prepared, { timeoutMs })
  } catch (err) {
    map.delete(correlationId)
    throw err
  }
  return reply
}

/** Sends the reply to a request message received by a consumer. */
export async function reply(
  producer: RocketMQProducer,
  requestMessage: MessageExt,
  body: string | Uint8Array,
  properties: Record<string, string> = {},
): Promise<void> {
  const p = requestMessage.properties
  const cluster = p[Property.CLUSTER]
  const correlationId = p[Property.CORRELATION_ID]
  const replyTo = p[Property.MESSAGE_REPLY_TO_CLIENT]
  if (cluster === undefined || correlationId === undefined || replyTo === undefined) {
    throw new ConfigError(
      'the message is not a request (no CLUSTER, CORRELATION_ID or REPLY_TO_CLIENT property)',
    )
  }
  const prepared = prepareMessage({ topic: `${cluster}_REPLY_TOPIC`, body, properties })
  prepared.properties[Property.MESSAGE_TYPE] = 'reply'
  prepared.properties[Property.CORRELATION_ID] = correlationId
  prepared.properties[Property.MESSAGE_REPLY_TO_CLIENT] = replyTo
  if (p[Property.MESSAGE_TTL] !== undefined)
    prepared.properties[Property.MESSAGE_TTL] = p[Property.MESSAGE_TTL]
  await producer.sendPrepared(prepared, {}, RequestCode.SEND_REPLY_MESSAGE_V2)
}

// Requests a broker sends to a consumer: NOTIFY_CONSUMER_IDS_CHANGED (a member joined or left:
// rebalance now), GET_CONSUMER_RUNNING_INFO (for the admin tools) and CONSUME_MESSAGE_DIRECTLY
// (the dashboard's "send this message to that consumer").

import { RequestCode, ResponseCode } from '../protocol/codes.ts'
import { encodeConsumerRunningInfo, type ConsumerRunningInfo } from '../protocol/consumer-running-info.ts'
import type { SubscriptionData } from '../protocol/heartbeat.ts'
import { decodeMessageExt, type MessageExt } from '../protocol/message-ext.ts'
import { createResponse, type RemotingCommand } from '../protocol/remoting-command.ts'

export interface ConsumerFacts {
  rebalance(): void
  orderly: boolean
  consumeDirectly: ((message: MessageExt) => Promise<void>) | undefined
  subscriptions: SubscriptionData[]
  nameServers: readonly string[]
  /** The queues this member holds now, with their state (the admin's view of the assignment). */
  queues(): ConsumerRunningInfo['queues']
}

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value))

export async function answerBrokerRequest(
  request: RemotingCommand,
  c: ConsumerFacts,
): Promise<RemotingCommand | null> {
  switch (request.code) {
    case RequestCode.NOTIFY_CONSUMER_IDS_CHANGED:
      c.rebalance()
      return null
    case RequestCode.GET_CONSUMER_RUNNING_INFO:
      return createResponse(
        request,
        ResponseCode.SUCCESS,
        null,
        encodeConsumerRunningInfo({
          properties: {
            PROP_CLIENT_VERSION: 'conduit',
            PROP_CONSUME_TYPE: 'CONSUME_PASSIVELY',
            PROP_CONSUMEORDERLY: String(c.orderly),
            PROP_THREADPOOL_CORE_SIZE: '1',
            PROP_NAMESERVER_ADDR: c.nameServers.join(';'),
          },
          subscriptionSet: c.subscriptions,
          queues: c.queues(),
        }),
      )
    case RequestCode.CONSUME_MESSAGE_DIRECTLY: {
      const started = Date.now()
      let consumeResult = 'CR_SUCCESS'
      let remark = ''
      try {
        if (!c.consumeDirectly) throw new Error('this consumer has no consumeDirectly handler')
        await c.consumeDirectly(decodeMessageExt(request.body ?? new Uint8Array()))
      } catch (err) {
        consumeResult = 'CR_THROW_EXCEPTION'
        remark = err instanceof Error ? err.message : String(err)
      }
      return createResponse(
        request,
        ResponseCode.SUCCESS,
        null,
        json({
          order: c.orderly,
          autoCommit: true,
          consumeResult,
          remark,
          spentTimeMills: Date.now() - started,
        }),
      )
    }
    default:
      return createResponse(
        request,
        ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
        `request code ${request.code} not handled by consumers`,
      )
  }
}

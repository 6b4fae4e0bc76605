// CONSUMER_SEND_MSG_BACK: hands a consumed message back to the broker that stores it, which
// re-sends it to %RETRY%<group> after a delay level (0: the broker picks 3 + reconsume times) or,
// past maxReconsumeTimes or with delay level -1, to %DLQ%<group>. The broker finds the message by
// its commit-log offset, so nothing but the header travels.

import type { RocketMQClient } from '../client.ts'
import { RequestCode } from '../protocol/codes.ts'
import { sendBackHeader } from '../protocol/headers.ts'
import type { MessageExt } from '../protocol/message-ext.ts'
import { createRequest } from '../protocol/remoting-command.ts'
import type { MessageQueue } from '../protocol/route.ts'

export async function sendMessageBack(
  client: RocketMQClient,
  queue: MessageQueue,
  group: string,
  m: MessageExt,
  delayLevel: number,
  maxReconsumeTimes: number,
): Promise<void> {
  const address = await client.brokerAddressOrRefresh(queue.brokerName, queue.topic)
  await client.getOrNewBroker(address).invoke(
    createRequest(
      RequestCode.CONSUMER_SEND_MSG_BACK,
      sendBackHeader({
        offset: m.commitLogOffset,
        group,
        delayLevel,
        originMsgId: m.msgId,
        originTopic: m.topic,
        maxReconsumeTimes,
      }),
    ),
    `send message ${m.msgId} back to ${group}`,
  )
}

// Consumer offsets kept by the broker (clustering): query, update, and the queue-level
// requests that find where consumption starts (max/min offset, search by timestamp).
// A queue the group never consumed answers QUERY_NOT_FOUND (22); that is "no offset", not an error.

import type { RocketMQClient } from '../client.ts'
import { brokerErrorOf } from '../connection.ts'
import { RequestCode, ResponseCode } from '../protocol/codes.ts'
import {
  intField,
  queryOffsetHeader,
  queueHeader,
  searchOffsetHeader,
  updateOffsetHeader,
} from '../protocol/headers.ts'
import { createRequest } from '../protocol/remoting-command.ts'
import type { MessageQueue } from '../protocol/route.ts'

/**
 * The master of the queue's broker group, or another node of it when the route has no master (it
 * died): as Java's findBrokerAddressInSubscribe, a slave answers offset queries and takes commits
 * meanwhile, so a group keeps consuming that broker's queues from the slave.
 */
async function brokerOf(
  client: RocketMQClient,
  q: MessageQueue,
): Promise<ReturnType<RocketMQClient['getOrNewBroker']>> {
  const node = await client.pullAddress(q.brokerName, q.topic, 0)
  return client.getOrNewBroker(node.address)
}

/** The committed offset of a queue for a group, or undefined when the group never consumed it. */
export async function queryConsumerOffset(
  client: RocketMQClient,
  group: string,
  q: MessageQueue,
): Promise<number | undefined> {
  const response = await (
    await brokerOf(client, q)
  ).request(createRequest(RequestCode.QUERY_CONSUMER_OFFSET, queryOffsetHeader(group, q)))
  if (response.code === ResponseCode.QUERY_NOT_FOUND) return undefined
  if (response.code !== ResponseCode.SUCCESS)
    throw brokerErrorOf(response, `query offset of ${group} on ${q.topic}:${q.queueId}`)
  return intField(response.extFields, 'offset', 'query consumer offset')
}

export async function updateConsumerOffset(
  client: RocketMQClient,
  group: string,
  q: MessageQueue,
  offset: number,
  oneway = false,
): Promise<void> {
  const broker = await brokerOf(client, q)
  const request = createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, updateOffsetHeader(group, q, offset))
  if (oneway) return broker.oneway(request)
  await broker.invoke(request, `update offset of ${group} on ${q.topic}:${q.queueId}`)
}

export async function maxOffset(client: RocketMQClient, q: MessageQueue): Promise<number> {
  const r = await (
    await brokerOf(client, q)
  ).invoke(createRequest(RequestCode.GET_MAX_OFFSET, queueHeader(q)), `max offset of ${q.topic}:${q.queueId}`)
  return intField(r.extFields, 'offset', 'get max offset')
}

export async function minOffset(client: RocketMQClient, q: MessageQueue): Promise<number> {
  const r = await (
    await brokerOf(client, q)
  ).invoke(createRequest(RequestCode.GET_MIN_OFFSET, queueHeader(q)), `min offset of ${q.topic}:${q.queueId}`)
  return intField(r.extFields, 'offset', 'get min offset')
}

/** The offset of the first message stored at or after `timestamp`. */
export async function searchOffset(
  client: RocketMQClient,
  q: MessageQueue,
  timestamp: number,
): Promise<number> {
  const r = await (
    await brokerOf(client, q)
  ).invoke(
    createRequest(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, searchOffsetHeader(q, timestamp)),
    `search offset of ${q.topic}:${q.queueId}`,
  )
  return intField(r.extFields, 'offset', 'search offset by timestamp')
}

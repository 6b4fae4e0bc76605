// Ordered consumption needs exclusive ownership of a queue across the group: the broker keeps a
// lock per (group, queue) that expires after 60 s unless renewed (Java renews every 20 s). A
// member only pulls and consumes a queue while it holds the lock, and unlocks after a rebalance
// takes the queue away, so the next owner starts after the last message the old one processed.

import type { RocketMQClient } from '../client.ts'
import { RequestCode } from '../protocol/codes.ts'
import { parseJavaJson } from '../protocol/java-json.ts'
import { createRequest } from '../protocol/remoting-command.ts'
import type { MessageQueue } from '../protocol/route.ts'

const encoder = new TextEncoder()

function body(group: string, clientId: string, queues: readonly MessageQueue[]): Uint8Array {
  return encoder.encode(
    JSON.stringify({
      consumerGroup: group,
      clientId,
      mqSet: queues.map((q) => ({ topic: q.topic, brokerName: q.brokerName, queueId: q.queueId })),
    }),
  )
}

/** Locks queues of one broker; resolves with the ones this client now holds. */
export async function lockQueues(
  client: RocketMQClient,
  address: string,
  group: string,
  queues: readonly MessageQueue[],
): Promise<MessageQueue[]> {
  if (queues.length === 0) return []
  const response = await client
    .getOrNewBroker(address)
    .invoke(
      createRequest(RequestCode.LOCK_BATCH_MQ, {}, body(group, client.clientId, queues)),
      `lock queues of ${group}`,
    )
  const parsed = parseJavaJson<{ lockOKMQSet?: MessageQueue[] }>(
    response.body ?? '{}',
    'lock queues response',
  )
  return (parsed.lockOKMQSet ?? []).map((q) => ({
    topic: String(q.topic),
    brokerName: String(q.brokerName),
    queueId: Number(q.queueId),
  }))
}

export async function unlockQueues(
  client: RocketMQClient,
  address: string,
  group: string,
  queues: readonly MessageQueue[],
): Promise<void> {
  if (queues.length === 0) return
  await client
    .getOrNewBroker(address)
    .invoke(
      createRequest(RequestCode.UNLOCK_BATCH_MQ, {}, body(group, client.clientId, queues)),
      `unlock queues of ${group}`,
    )
}

function byBroker(queues: readonly MessageQueue[]): Map<string, MessageQueue[]> {
  const out = new Map<string, MessageQueue[]>()
  for (const q of queues) out.set(q.brokerName, [...(out.get(q.brokerName) ?? []), q])
  return out
}

/** Locks queues on whichever brokers host them; resolves with the ones now held. */
export async function lockQueuesOnBrokers(
  client: RocketMQClient,
  group: string,
  queues: readonly MessageQueue[],
): Promise<MessageQueue[]> {
  const out: MessageQueue[] = []
  for (const [brokerName, list] of byBroker(queues)) {
    const address = await client.brokerAddressOrRefresh(brokerName, list[0]!.topic)
    out.push(...(await lockQueues(client, address, group, list)))
  }
  return out
}

export async function unlockQueuesOnBrokers(
  client: RocketMQClient,
  group: string,
  queues: readonly MessageQueue[],
): Promise<void> {
  for (const [brokerName, list] of byBroker(queues)) {
    const address = await client.brokerAddressOrRefresh(brokerName, list[0]!.topic)
    await unlockQueues(client, address, group, list)
  }
}

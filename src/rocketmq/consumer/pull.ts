// One PULL_MESSAGE: the broker holds the request up to `suspendTimeoutMillis` when the queue has
// nothing new (long polling), so the socket timeout must be longer than the suspension. The
// answer says FOUND (messages + next offset), NO_NEW_MSG, NO_MATCHED_MSG (all filtered out, move
// on) or OFFSET_ILLEGAL (the offset fell outside the queue: restart from nextBeginOffset).
//
// Every answer carries `suggestWhichBrokerId`: a master whose page cache no longer holds the
// requested messages suggests a slave (with slaveReadEnable), a slave that falls behind suggests
// the master. The caller pulls the queue from the suggested node next time (Java's
// pullFromWhichNodeTable); a slave is never sent a commit offset, only masters store offsets.

import type { RocketMQClient } from '../client.ts'
import { brokerErrorOf } from '../connection.ts'
import { decompressBody } from '../message-body.ts'
import { RequestCode, ResponseCode } from '../protocol/codes.ts'
import { intField, pullHeader, PullSysFlag } from '../protocol/headers.ts'
import { tagMatches, type SubscriptionData } from '../protocol/heartbeat.ts'
import { decodeMessageExts, type MessageExt } from '../protocol/message-ext.ts'
import { Property } from '../protocol/properties.ts'
import { createRequest } from '../protocol/remoting-command.ts'
import type { MessageQueue } from '../protocol/route.ts'

export type PullStatus = 'FOUND' | 'NO_NEW_MSG' | 'NO_MATCHED_MSG' | 'OFFSET_ILLEGAL'

export interface PullResult {
  status: PullStatus
  nextBeginOffset: number
  minOffset: number
  maxOffset: number
  messages: MessageExt[]
  /** The node the broker wants the next pull of this queue to go to (0 = master). */
  suggestWhichBrokerId: number
  /** The node that answered this pull. */
  pulledFrom: number
}

export interface PullRequest {
  group: string
  queue: MessageQueue
  offset: number
  maxMessages: number
  subscription: SubscriptionData
  /** Offset to commit with this pull (pull sysflag COMMIT_OFFSET), or undefined. */
  commitOffset?: number
  /** Long-poll suspension. Default 15 s (Java brokerSuspendMaxTimeMillis). */
  suspendMs?: number
  /** Largest decompressed body accepted. */
  maxBodyBytes?: number
  /** Broker node to pull from (the previous answer's suggestion). Default 0, the master. */
  brokerId?: number
}

const STATUS: Record<number, PullStatus> = {
  [ResponseCode.SUCCESS]: 'FOUND',
  [ResponseCode.PULL_NOT_FOUND]: 'NO_NEW_MSG',
  [ResponseCode.PULL_RETRY_IMMEDIATELY]: 'NO_MATCHED_MSG',
  [ResponseCode.PULL_OFFSET_MOVED]: 'OFFSET_ILLEGAL',
}

export async function pullMessages(client: RocketMQClient, req: PullRequest): Promise<PullResult> {
  const q = req.queue
  const node = await client.pullAddress(q.brokerName, q.topic, req.brokerId ?? 0)
  const suspendMs = req.suspendMs ?? 15_000
  let sysFlag = PullSysFlag.SUBSCRIPTION
  if (suspendMs > 0) sysFlag |= PullSysFlag.SUSPEND
  const commit = node.brokerId === 0 && req.commitOffset !== undefined && req.commitOffset > 0
  if (commit) sysFlag |= PullSysFlag.COMMIT_OFFSET
  const request = createRequest(
    RequestCode.PULL_MESSAGE,
    pullHeader({
      consumerGroup: req.group,
      topic: q.topic,
      queueId: q.queueId,
      queueOffset: req.offset,
      maxMsgNums: req.maxMessages,
      sysFlag,
      commitOffset: commit ? req.commitOffset! : 0,
      suspendTimeoutMillis: suspendMs,
      subscription: req.subscription.subString,
      subVersion: req.subscription.subVersion,
      expressionType: req.subscription.expressionType,
    }),
  )
  const response = await client
    .getOrNewBroker(node.address)
    .request(request, suspendMs + 10_000, `pull ${q.topic}:${q.brokerName}:${q.queueId}@${req.offset}`)
  const status = STATUS[response.code]
  if (status === undefined) throw brokerErrorOf(response, `pull ${q.topic}:${q.queueId}`)
  const h = response.extFields
  const result: PullResult = {
    status,
    nextBeginOffset: intField(h, 'nextBeginOffset', 'pull response'),
    minOffset: intField(h, 'minOffset', 'pull response'),
    maxOffset: intField(h, 'maxOffset', 'pull response'),
    messages: [],
    suggestWhichBrokerId: suggestedNode(h),
    pulledFrom: node.brokerId,
  }
  if (status !== 'FOUND' || !response.body) return result
  const maxBody = req.maxBodyBytes ?? 4 * 1024 * 1024
  for (const m of decodeMessageExts(response.body)) {
    // The broker filters by tag hash only; hash collisions are removed here, as in Java.
    if (!tagMatches(req.subscription, m.properties[Property.TAGS])) continue
    if (m.compression !== 'none') {
      m.body = await decompressBody(m.compression, m.body, maxBody)
      m.compression = 'none'
    } else {
      // The frame buffer is reused by nothing, but a copy keeps one small message from pinning a big pull.
      m.body = m.body.slice()
    }
    m.properties[Property.MIN_OFFSET] = String(result.minOffset)
    m.properties[Property.MAX_OFFSET] = String(result.maxOffset)
    result.messages.push(m)
  }
  return result
}

/** The suggestion header, bounded: an absent or nonsensical value means "the master". */
function suggestedNode(h: Record<string, string>): number {
  const raw = h.suggestWhichBrokerId
  if (raw === undefined) return 0
  const id = Number(raw)
  return Number.isSafeInteger(id) && id >= 0 ? id : 0
}

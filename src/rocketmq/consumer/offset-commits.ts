// Committing a clustering consumer's queue offsets to the broker, one queue's commits strictly in
// order (issue 16: a group that resumed at 0 although its previous run committed).
//
// Why in order, and why never oneway: the broker runs UPDATE_CONSUMER_OFFSET on a pool of threads
// and applies each as it comes ("last write wins", no comparison with the stored value), and it
// applies the commit offset a PULL_MESSAGE carries on yet another pool. Two commits of one queue
// that are in flight together can therefore land in either order: a background commit taken while
// the first batch was still unacknowledged (offset 0) could overwrite the close's final commit, and
// the next run of the group started the queue at 0 again. So each queue has at most one commit in
// flight, each commit waits for the broker's answer before the next is sent, pulls carry no commit
// offset, and a commit only counts as done (`confirmed`) once the broker answered SUCCESS.
//
// Failures are never swallowed: background commits report them on the diagnostics channel
// `conduit:rocketmq:offset-commit-error`; the commits of close() and seek() reject.

import dc from 'node:diagnostics_channel'
import { publish, type TypedChannel } from '../../core/diagnostics.ts'
import { BrokerError } from '../../core/errors.ts'
import type { RocketMQClient } from '../client.ts'
import { ResponseCode } from '../protocol/codes.ts'
import { queueKey, type MessageQueue } from '../protocol/route.ts'
import { updateConsumerOffset } from './offsets.ts'

/** `conduit:rocketmq:offset-commit-error` — a consumer offset could not be written to the broker. */
export interface OffsetCommitErrorEvent {
  driver: 'rocketmq'
  group: string
  topic: string
  brokerName: string
  queueId: number
  offset: number
  /** What the commit was for: a periodic commit, a rebalance handing the queue over, close, … */
  reason: CommitReason
  error: Error
}

export type CommitReason = 'periodic' | 'rebalance' | 'offset-moved' | 'close' | 'seek'

export const offsetCommitErrors = dc.channel(
  'conduit:rocketmq:offset-commit-error',
) as unknown as TypedChannel<OffsetCommitErrorEvent>

/** Publishes a failed commit on the diagnostics channel; returns the error as an Error. */
export function reportCommitError(
  group: string,
  mq: MessageQueue,
  offset: number,
  reason: CommitReason,
  err: unknown,
): Error {
  const error = err instanceof Error ? err : new Error(String(err))
  publish(offsetCommitErrors, () => ({
    driver: 'rocketmq',
    group,
    topic: mq.topic,
    brokerName: mq.brokerName,
    queueId: mq.queueId,
    offset,
    reason,
    error,
  }))
  return error
}

interface QueueCommits {
  /** The last offset the broker confirmed for this queue (-1: none yet). */
  confirmed: number
  /** The commit in flight (or the tail of the chain), which the next one waits for. */
  tail: Promise<void>
}

export class OffsetCommitter {
  readonly #client: RocketMQClient
  readonly #group: string
  readonly #queues = new Map<string, QueueCommits>()

  constructor(client: RocketMQClient, group: string) {
    this.#client = client
    this.#group = group
  }

  /** The last offset the broker confirmed for a queue, or -1. */
  confirmed(mq: MessageQueue): number {
    return this.#queues.get(queueKey(mq))?.confirmed ?? -1
  }

  /**
   * Writes `offset` for the queue after every earlier commit of that queue was answered. Resolves
   * once the broker confirmed it; rejects with the broker's or the connection's error (which is
   * also published on the diagnostics channel). An offset the broker already confirmed is not sent
   * again unless `force`.
   */
  commit(mq: MessageQueue, offset: number, reason: CommitReason, force = false): Promise<void> {
    const key = queueKey(mq)
    let q = this.#queues.get(key)
    if (!q) {
      q = { confirmed: -1, tail: Promise.resolve() }
      this.#queues.set(key, q)
    }
    const state = q
    const run = state.tail.then(async () => {
      if (!force && state.confirmed === offset) return
      try {
        await updateConsumerOffset(this.#client, this.#group, mq, offset)
      } catch (err) {
        // The topic was deleted: no one can resume it, so there is no position left to lose.
        if (err instanceof BrokerError && err.brokerCode === ResponseCode.TOPIC_NOT_EXIST) return
        throw reportCommitError(this.#group, mq, offset, reason, err)
      }
      state.confirmed = offset
    })
    // The chain goes on after a failure: the next commit carries a newer offset anyway. The failure
    // itself is not lost: it was published (reportCommitError) and rejects `run` for the caller.
    state.tail = run.catch(() => {})
    return run
  }

  /** Forgets what was confirmed for a queue (after a seek moved it, the old value means nothing). */
  forget(mq: MessageQueue): void {
    const q = this.#queues.get(queueKey(mq))
    if (q) q.confirmed = -1
  }
}

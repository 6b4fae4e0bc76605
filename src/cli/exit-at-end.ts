// `conduit consume --exit-at-end`: like kcat's -e, stop once every partition has been read up to
// where it ended when consumption started. Messages produced later are not waited for.
//
// A partition is finished from the start when there is nothing to read in it: the group's
// committed position is at its end (lag 0), or, without a commit, --from latest, --from <offset>
// at or past the end, or an empty partition read from the earliest. Otherwise it is finished
// once a printed message reached its end (core/partition-ends.ts says how each broker tells).
// With a group, partitions assigned to other members of the group never arrive here: use it
// with a group of one.
//
// Known limit: Kafka's end offset counts transaction markers, which are never delivered; a
// partition whose last record is such a marker (a topic written by a transactional producer)
// is never seen reaching its end. --timeout-ms alongside bounds the wait.

import type { Broker, GroupPartitionLag, Message, PartitionEnd, StartPosition } from '../core/contract.ts'
import { BrokerError, NotFoundError, UnsupportedError } from '../core/errors.ts'
import { partitionEnds } from '../core/partition-ends.ts'
import { UsageError } from './args.ts'
import { listedTopic } from './topic-exists.ts'

export interface EndTracker {
  /** Partitions not read to their end yet. */
  readonly pending: ReadonlySet<number>
  /** Notes a printed message. */
  printed(message: Message): void
  readonly finished: boolean
}

async function groupLag(
  broker: Broker,
  group: string,
  topic: string,
): Promise<Map<number, GroupPartitionLag>> {
  let offsets: GroupPartitionLag[]
  try {
    offsets = (await broker.admin.describeGroup(group)).offsets
  } catch (error) {
    // A group that never committed: the embedded broker says it does not exist, RocketMQ that
    // the subscription group is unknown. Either way every partition starts at --from.
    if (error instanceof NotFoundError || (error instanceof BrokerError && !error.retriable)) return new Map()
    throw error
  }
  // Pulsar names topics in full (persistent://public/default/orders).
  return new Map(offsets.filter((o) => listedTopic([o.topic], topic)).map((o) => [o.partition, o]))
}

function finishedAtStart(
  end: PartitionEnd,
  from: StartPosition,
  lag: GroupPartitionLag | undefined,
): boolean {
  if (lag && lag.committed !== null) return lag.lag <= 0
  // Pulsar reports a subscription's backlog without a committed offset; lag 0 is nothing to read.
  if (lag && lag.lag === 0) return true
  if (from === 'latest') return true
  if (from === 'earliest') return end.empty
  if (typeof from === 'number') {
    if (end.next === undefined)
      throw new UnsupportedError(
        'this broker has no offsets, so --exit-at-end cannot start at --from <offset>',
      )
    return end.empty || from >= end.next
  }
  throw new UsageError(
    '--exit-at-end cannot tell where --from <time> starts in each partition; use earliest, latest or an offset',
    'consume',
  )
}

export async function endTracker(
  broker: Broker,
  s: { topic: string; group: string | undefined; from: StartPosition },
): Promise<EndTracker> {
  const ends = await partitionEnds(broker.admin, s.topic)
  const lags =
    s.group === undefined ? new Map<number, GroupPartitionLag>() : await groupLag(broker, s.group, s.topic)
  const pending = new Set<number>()
  const byPartition = new Map<number, PartitionEnd>()
  for (const end of ends) {
    byPartition.set(end.partition, end)
    if (!finishedAtStart(end, s.from, lags.get(end.partition))) pending.add(end.partition)
  }
  return {
    pending,
    printed(message) {
      if (pending.has(message.partition) && byPartition.get(message.partition)!.reached(message))
        pending.delete(message.partition)
    },
    get finished() {
      return pending.size === 0
    },
  }
}

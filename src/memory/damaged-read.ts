// How a consumer meets a damaged range of a partition's log (file/damage.ts). A read that starts in
// one throws a CorruptDataError naming the file, the partition and the offsets. Without
// `skipDamaged` the consumer holds that partition there and hands the error to the application
// (consumer.ts), while its other partitions keep flowing. With `skipDamaged: true` the group's
// position moves past the range — committed, like an ack, since those records can never be
// delivered — and the skip is published on `conduit:storage:damage`: never silently.

import { CorruptDataError } from '../core/errors.ts'
import { channels, publish } from '../core/diagnostics.ts'
import type { Group, PartitionState } from './group.ts'
import type { StoredMessage } from './message.ts'
import type { PartitionLog } from './partition-log.ts'

/** The partition's next records from its position, or the damaged range that stops them. */
export function readPastDamage(
  log: PartitionLog,
  state: PartitionState,
  max: number,
  skip: boolean,
  group: Group,
): StoredMessage[] | CorruptDataError {
  for (;;) {
    try {
      return log.read(state.committed, max)
    } catch (error) {
      const range = error instanceof CorruptDataError ? error.range : undefined
      if (range === undefined) throw error
      // A range that does not lie ahead cannot be skipped by moving forward (never expected).
      if (!skip || range.to <= state.committed) return error as CorruptDataError
      const from = state.committed
      group.commit(state, range.to)
      publish(channels.storageDamage, () => ({
        kind: 'skipped' as const,
        file: (error as CorruptDataError).path,
        topic: range.topic,
        partition: range.partition,
        group: group.name,
        from,
        to: range.to,
        reason: `a consumer with skipDamaged moved group "${group.name}" past damaged offsets ${from} to ${range.to - 1}`,
      }))
    }
  }
}

// Committed offsets restored from disk that lie past the end of their partition: the log lost its
// tail (a torn or damaged tail cut on open, a directory restored from an older backup). Resuming
// there would first show lag 0 and then silently skip every message written until the log grew
// past the commit, so such an offset is out of range: reported, and dropped so that the group
// starts by its `from` policy when it next subscribes (group.ts resolveStart), like Kafka's
// auto.offset.reset. On disk it is moved to the log end at once, so a restart before the group
// subscribes cannot bring the stale offset back once new messages arrive.

import path from 'node:path'
import { channels, publish } from '../core/diagnostics.ts'
import type { DurableStore } from './engine.ts'
import type { Topic } from './topic.ts'

export function dropOutOfRangeOffsets(
  restored: Map<string, Map<string, Map<number, number>>>,
  topics: ReadonlyMap<string, Topic>,
  store: DurableStore,
): void {
  for (const [group, byTopic] of restored) {
    for (const [topicName, partitions] of byTopic) {
      const topic = topics.get(topicName)
      if (!topic) continue
      for (const [partition, committed] of partitions) {
        const log = topic.partitions[partition]
        if (!log || committed <= log.next) continue
        partitions.delete(partition)
        store.commitSink(group, topicName, partition, log.next)
        publish(channels.storageDamage, () => ({
          kind: 'offset-reset' as const,
          file: path.join(store.dir, 'offsets.log'),
          topic: topicName,
          partition,
          group,
          from: log.next,
          to: committed,
          reason:
            `group "${group}" committed offset ${committed} of ${topicName}/${partition}, past the end ` +
            `of the log (${log.next}): out of range, the group restarts from its "from" position`,
        }))
      }
    }
  }
}

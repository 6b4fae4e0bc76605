// The end of each partition of a topic, for readers that stop there (`consume --exit-at-end`):
// the driver's own Admin.partitionEnds where it has one, else derived from the offsets that
// describeTopic reports (the embedded broker, Kafka, RocketMQ).

import type { Admin, PartitionEnd, TopicDescription } from './contract.ts'
import { UnsupportedError } from './errors.ts'

/** Ends from describeTopic's offsets; undefined when a partition lacks them. */
export function endsFromOffsets(description: TopicDescription): PartitionEnd[] | undefined {
  const ends: PartitionEnd[] = []
  for (const p of description.partitions) {
    const { earliest, latest } = p
    if (earliest === undefined || latest === undefined || earliest < 0 || latest < 0) return undefined
    ends.push({
      partition: p.partition,
      empty: latest <= earliest,
      next: latest,
      // `latest` is the offset the next message will get, so the last one has latest - 1.
      reached: (message) => message.offset >= latest - 1,
    })
  }
  return ends
}

export async function partitionEnds(admin: Admin, topic: string): Promise<PartitionEnd[]> {
  if (admin.partitionEnds) return admin.partitionEnds(topic)
  const ends = endsFromOffsets(await admin.describeTopic(topic))
  if (!ends) {
    throw new UnsupportedError(
      `this broker reports neither offsets nor partition ends for topic "${topic}", so the end of its partitions is unknown`,
    )
  }
  return ends
}

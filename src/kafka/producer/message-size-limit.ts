// The broker's size limit for one record batch of a topic (`max.message.bytes`), looked up only
// when the broker refused a single record as too large, so the MessageTooLargeError can say
// what the limit is. The producer cannot know it beforehand: it is a topic config.

import type { KafkaCluster } from '../cluster.ts'
import { ApiKey } from '../protocol/index.ts'

const TOPIC_RESOURCE = 2

/** The topic's max.message.bytes, or -1 when it cannot be read (no permission, broker down). */
export async function topicMessageSizeLimit(cluster: KafkaCluster, topic: string): Promise<number> {
  try {
    return await cluster.withAnyConnection('admin', async (conn) => {
      const res = await conn.request(ApiKey.DescribeConfigs, {
        resources: [
          { resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: ['max.message.bytes'] },
        ],
        includeSynonyms: false,
        includeDocumentation: false,
      })
      const r = res.results[0] as { errorCode: number; configs: { name: string; value: string | null }[] }
      const value = r?.errorCode === 0 ? r.configs.find((c) => c.name === 'max.message.bytes')?.value : null
      const n = value ? Number(value) : NaN
      return Number.isSafeInteger(n) ? n : -1
    })
  } catch {
    return -1
  }
}

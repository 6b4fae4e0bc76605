// AddPartitionsToTxn (key 24): registers partitions with the producer's open transaction.
// Versions 4+ batch several transactions and are reserved for broker-to-broker verification
// (they need CLUSTER_ACTION), so a client speaks v3 at most.
import { f, list, type ApiSchema } from '../schema.ts'

export const AddPartitionsToTxn = {
  apiKey: 24,
  name: 'AddPartitionsToTxn',
  versions: '0-3',
  flexible: '3+',
  request: [
    f('v3AndBelowTransactionalId', 'string', '0-3'),
    f('v3AndBelowProducerId', 'int64', '0-3'),
    f('v3AndBelowProducerEpoch', 'int16', '0-3'),
    list('v3AndBelowTopics', '0-3', [f('name', 'string', '0+'), f('partitions', '[]int32', '0+')]),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    list('resultsByTopicV3AndBelow', '0-3', [
      f('name', 'string', '0+'),
      list('resultsByPartition', '0+', [
        f('partitionIndex', 'int32', '0+'),
        f('partitionErrorCode', 'int16', '0+'),
      ]),
    ]),
  ],
} as const satisfies ApiSchema

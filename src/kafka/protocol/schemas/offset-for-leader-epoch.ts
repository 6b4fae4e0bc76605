// OffsetForLeaderEpoch (key 23): the end offset of a leader epoch, used by a consumer after a
// leader change to detect log truncation. replicaId -1 marks a consumer (-2 = debug).
import { f, list, type ApiSchema } from '../schema.ts'

export const OffsetForLeaderEpoch = {
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  versions: '2-4',
  flexible: '4+',
  request: [
    f('replicaId', 'int32', '3+', { default: -2 }),
    list('topics', '0+', [
      f('topic', 'string', '0+'),
      list('partitions', '0+', [
        f('partition', 'int32', '0+'),
        f('currentLeaderEpoch', 'int32', '2+', { default: -1 }),
        f('leaderEpoch', 'int32', '0+'),
      ]),
    ]),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    list('topics', '0+', [
      f('topic', 'string', '0+'),
      list('partitions', '0+', [
        f('errorCode', 'int16', '0+'),
        f('partition', 'int32', '0+'),
        f('leaderEpoch', 'int32', '1+', { default: -1 }),
        f('endOffset', 'int64', '0+', { default: -1n }),
      ]),
    ]),
  ],
} as const satisfies ApiSchema

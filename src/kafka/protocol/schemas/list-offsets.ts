// ListOffsets (key 2): the offset for a timestamp per partition; timestamp -1 asks for the
// latest offset, -2 the earliest, -3 the max-timestamp record (v7+). replicaId is -1 for clients.
import { f, list, type ApiSchema } from '../schema.ts'

export const ListOffsets = {
  apiKey: 2,
  name: 'ListOffsets',
  versions: '1-10',
  flexible: '6+',
  request: [
    f('replicaId', 'int32', '0+', { default: -1 }),
    f('isolationLevel', 'int8', '2+'),
    list('topics', '0+', [
      f('name', 'string', '0+'),
      list('partitions', '0+', [
        f('partitionIndex', 'int32', '0+'),
        f('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
        f('timestamp', 'int64', '0+'),
      ]),
    ]),
    f('timeoutMs', 'int32', '10+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    list('topics', '0+', [
      f('name', 'string', '0+'),
      list('partitions', '0+', [
        f('partitionIndex', 'int32', '0+'),
        f('errorCode', 'int16', '0+'),
        f('timestamp', 'int64', '1+', { default: -1n }),
        f('offset', 'int64', '1+', { default: -1n }),
        f('leaderEpoch', 'int32', '4+', { default: -1 }),
      ]),
    ]),
  ],
} as const satisfies ApiSchema

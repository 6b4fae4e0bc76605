// OffsetDelete (key 47): removes a group's committed offsets for partitions it no longer reads.
import { f, list, type ApiSchema } from '../schema.ts'

export const OffsetDelete = {
  apiKey: 47,
  name: 'OffsetDelete',
  versions: '0',
  flexible: 'none',
  request: [
    f('groupId', 'string', '0+'),
    list('topics', '0+', [
      f('name', 'string', '0+'),
      list('partitions', '0+', [f('partitionIndex', 'int32', '0+')]),
    ]),
  ],
  response: [
    f('errorCode', 'int16', '0+'),
    f('throttleTimeMs', 'int32', '0+'),
    list('topics', '0+', [
      f('name', 'string', '0+'),
      list('partitions', '0+', [f('partitionIndex', 'int32', '0+'), f('errorCode', 'int16', '0+')]),
    ]),
  ],
} as const satisfies ApiSchema

// OffsetFetch (key 9): a group's committed offsets. Up to v7 one group per request (topics null =
// all); from v8 several groups. requireStable (v7+) waits out pending transactional commits.
import { f, list, type ApiSchema } from '../schema.ts'

export const OffsetFetch = {
  apiKey: 9,
  name: 'OffsetFetch',
  versions: '1-9',
  flexible: '6+',
  request: [
    f('groupId', 'string', '0-7'),
    list('topics', '0-7', [f('name', 'string', '0-7'), f('partitionIndexes', '[]int32', '0-7')], {
      nullable: '2-7',
    }),
    list('groups', '8+', [
      f('groupId', 'string', '8+'),
      f('memberId', 'string', '9+', { nullable: '9+', default: null }),
      f('memberEpoch', 'int32', '9+', { default: -1 }),
      list('topics', '8+', [f('name', 'string', '8+'), f('partitionIndexes', '[]int32', '8+')], {
        nullable: '8+',
      }),
    ]),
    f('requireStable', 'bool', '7+', { default: false }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '3+'),
    list('topics', '0-7', [
      f('name', 'string', '0-7'),
      list('partitions', '0-7', [
        f('partitionIndex', 'int32', '0-7'),
        f('committedOffset', 'int64', '0-7'),
        f('committedLeaderEpoch', 'int32', '5-7', { default: -1 }),
        f('metadata', 'string', '0-7', { nullable: '0-7' }),
        f('errorCode', 'int16', '0-7'),
      ]),
    ]),
    f('errorCode', 'int16', '2-7', { default: 0 }),
    list('groups', '8+', [
      f('groupId', 'string', '8+'),
      list('topics', '8+', [
        f('name', 'string', '8+'),
        list('partitions', '8+', [
          f('partitionIndex', 'int32', '8+'),
          f('committedOffset', 'int64', '8+'),
          f('committedLeaderEpoch', 'int32', '8+', { default: -1 }),
          f('metadata', 'string', '8+', { nullable: '8+' }),
          f('errorCode', 'int16', '8+'),
        ]),
      ]),
      f('errorCode', 'int16', '8+', { default: 0 }),
    ]),
  ],
} as const satisfies ApiSchema

// Fetch (key 1): record batches from each partition's fetch offset, with fetch sessions
// (KIP-227: sessionId/sessionEpoch, forgotten topics). Topics are named up to v12 and identified
// by topic id from v13. `records` come back as raw bytes; decodeRecordBatches parses them.
import { f, list, struct, type ApiSchema } from '../schema.ts'

export const Fetch = {
  apiKey: 1,
  name: 'Fetch',
  versions: '4-17',
  flexible: '12+',
  request: [
    f('clusterId', 'string', '12+', { nullable: '12+', tag: 0, default: null }),
    f('replicaId', 'int32', '0-14', { default: -1 }),
    struct(
      'replicaState',
      '15+',
      [f('replicaId', 'int32', '15+', { default: -1 }), f('replicaEpoch', 'int64', '15+', { default: -1n })],
      { tag: 1 },
    ),
    f('maxWaitMs', 'int32', '0+'),
    f('minBytes', 'int32', '0+'),
    f('maxBytes', 'int32', '3+', { default: 0x7fffffff }),
    f('isolationLevel', 'int8', '4+', { default: 0 }),
    f('sessionId', 'int32', '7+', { default: 0 }),
    f('sessionEpoch', 'int32', '7+', { default: -1 }),
    list('topics', '0+', [
      f('topic', 'string', '0-12'),
      f('topicId', 'uuid', '13+'),
      list('partitions', '0+', [
        f('partition', 'int32', '0+'),
        f('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
        f('fetchOffset', 'int64', '0+'),
        f('lastFetchedEpoch', 'int32', '12+', { default: -1 }),
        f('logStartOffset', 'int64', '5+', { default: -1n }),
        f('partitionMaxBytes', 'int32', '0+'),
        f('replicaDirectoryId', 'uuid', '17+', { tag: 0 }),
      ]),
    ]),
    list('forgottenTopicsData', '7+', [
      f('topic', 'string', '7-12'),
      f('topicId', 'uuid', '13+'),
      f('partitions', '[]int32', '7+'),
    ]),
    f('rackId', 'string', '11+', { default: '' }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '7+'),
    f('sessionId', 'int32', '7+', { default: 0 }),
    list('responses', '0+', [
      f('topic', 'string', '0-12'),
      f('topicId', 'uuid', '13+'),
      list('partitions', '0+', [
        f('partitionIndex', 'int32', '0+'),
        f('errorCode', 'int16', '0+'),
        f('highWatermark', 'int64', '0+'),
        f('lastStableOffset', 'int64', '4+', { default: -1n }),
        f('logStartOffset', 'int64', '5+', { default: -1n }),
        struct(
          'divergingEpoch',
          '12+',
          [f('epoch', 'int32', '12+', { default: -1 }), f('endOffset', 'int64', '12+', { default: -1n })],
          { tag: 0 },
        ),
        struct(
          'currentLeader',
          '12+',
          [f('leaderId', 'int32', '12+', { default: -1 }), f('leaderEpoch', 'int32', '12+', { default: -1 })],
          { tag: 1 },
        ),
        struct(
          'snapshotId',
          '12+',
          [f('endOffset', 'int64', '0+', { default: -1n }), f('epoch', 'int32', '0+', { default: -1 })],
          { tag: 2 },
        ),
        list('abortedTransactions', '4+', [f('producerId', 'int64', '4+'), f('firstOffset', 'int64', '4+')], {
          nullable: '4+',
        }),
        f('preferredReadReplica', 'int32', '11+', { default: -1 }),
        f('records', 'records', '0+', { nullable: '0+' }),
      ]),
    ]),
    list(
      'nodeEndpoints',
      '16+',
      [
        f('nodeId', 'int32', '16+'),
        f('host', 'string', '16+'),
        f('port', 'int32', '16+'),
        f('rack', 'string', '16+', { nullable: '16+', default: null }),
      ],
      { tag: 0 },
    ),
  ],
} as const satisfies ApiSchema

// Produce (key 0): record batches per topic-partition. `records` are already-encoded record
// batches (record-batch.ts), so the producer decides batching and compression. acks=0 gets no
// response at all: the connection must not wait for one.
import { f, list, struct, type ApiSchema } from '../schema.ts'

export const Produce = {
  apiKey: 0,
  name: 'Produce',
  versions: '3-11',
  flexible: '9+',
  request: [
    f('transactionalId', 'string', '3+', { nullable: '3+', default: null }),
    f('acks', 'int16', '0+'),
    f('timeoutMs', 'int32', '0+'),
    list('topicData', '0+', [
      f('name', 'string', '0+'),
      list('partitionData', '0+', [
        f('index', 'int32', '0+'),
        f('records', 'records', '0+', { nullable: '0+' }),
      ]),
    ]),
  ],
  response: [
    list('responses', '0+', [
      f('name', 'string', '0+'),
      list('partitionResponses', '0+', [
        f('index', 'int32', '0+'),
        f('errorCode', 'int16', '0+'),
        f('baseOffset', 'int64', '0+'),
        f('logAppendTimeMs', 'int64', '2+', { default: -1n }),
        f('logStartOffset', 'int64', '5+', { default: -1n }),
        list('recordErrors', '8+', [
          f('batchIndex', 'int32', '8+'),
          f('batchIndexErrorMessage', 'string', '8+', { nullable: '8+', default: null }),
        ]),
        f('errorMessage', 'string', '8+', { nullable: '8+', default: null }),
        struct(
          'currentLeader',
          '10+',
          [f('leaderId', 'int32', '10+', { default: -1 }), f('leaderEpoch', 'int32', '10+', { default: -1 })],
          { tag: 0 },
        ),
      ]),
    ]),
    f('throttleTimeMs', 'int32', '1+', { default: 0 }),
    list(
      'nodeEndpoints',
      '10+',
      [
        f('nodeId', 'int32', '10+'),
        f('host', 'string', '10+'),
        f('port', 'int32', '10+'),
        f('rack', 'string', '10+', { nullable: '10+', default: null }),
      ],
      { tag: 0 },
    ),
  ],
} as const satisfies ApiSchema

// InitProducerId (key 22): a producer id and epoch for the idempotent or transactional producer.
// Sending the current id/epoch (v3+) bumps the epoch instead of fencing, after a timeout.
import { f, type ApiSchema } from '../schema.ts'

export const InitProducerId = {
  apiKey: 22,
  name: 'InitProducerId',
  versions: '0-5',
  flexible: '2+',
  request: [
    f('transactionalId', 'string', '0+', { nullable: '0+' }),
    f('transactionTimeoutMs', 'int32', '0+'),
    f('producerId', 'int64', '3+', { default: -1n }),
    f('producerEpoch', 'int16', '3+', { default: -1 }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '0+'),
    f('producerId', 'int64', '0+', { default: -1n }),
    f('producerEpoch', 'int16', '0+'),
  ],
} as const satisfies ApiSchema

// EndTxn (key 26): commits or aborts the producer's transaction. (v5, which returns a bumped
// producer epoch, is still marked unstable in the spec, so this client stops at v4.)
import { f, type ApiSchema } from '../schema.ts'

export const EndTxn = {
  apiKey: 26,
  name: 'EndTxn',
  versions: '0-4',
  flexible: '3+',
  request: [
    f('transactionalId', 'string', '0+'),
    f('producerId', 'int64', '0+'),
    f('producerEpoch', 'int16', '0+'),
    f('committed', 'bool', '0+'),
  ],
  response: [f('throttleTimeMs', 'int32', '0+'), f('errorCode', 'int16', '0+')],
} as const satisfies ApiSchema

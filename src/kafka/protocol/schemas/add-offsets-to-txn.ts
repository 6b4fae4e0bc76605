// AddOffsetsToTxn (key 25): tells the transaction coordinator that the transaction will commit
// offsets of this group (followed by TxnOffsetCommit to the group coordinator).
import { f, type ApiSchema } from '../schema.ts'

export const AddOffsetsToTxn = {
  apiKey: 25,
  name: 'AddOffsetsToTxn',
  versions: '0-4',
  flexible: '3+',
  request: [
    f('transactionalId', 'string', '0+'),
    f('producerId', 'int64', '0+'),
    f('producerEpoch', 'int16', '0+'),
    f('groupId', 'string', '0+'),
  ],
  response: [f('throttleTimeMs', 'int32', '0+'), f('errorCode', 'int16', '0+')],
} as const satisfies ApiSchema

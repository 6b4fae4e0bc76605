// Heartbeat (key 12): keeps a member alive; REBALANCE_IN_PROGRESS tells it to rejoin.
import { f, type ApiSchema } from '../schema.ts'

export const Heartbeat = {
  apiKey: 12,
  name: 'Heartbeat',
  versions: '0-4',
  flexible: '4+',
  request: [
    f('groupId', 'string', '0+'),
    f('generationId', 'int32', '0+'),
    f('memberId', 'string', '0+'),
    f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
  ],
  response: [f('throttleTimeMs', 'int32', '1+'), f('errorCode', 'int16', '0+')],
} as const satisfies ApiSchema

// JoinGroup (key 11): the first step of a classic-protocol rebalance. Each member sends its
// supported assignors with their subscription metadata (consumer-protocol.ts); the leader gets
// everyone's metadata back. A first join without a member id gets MEMBER_ID_REQUIRED (v4+).
import { f, list, type ApiSchema } from '../schema.ts'

export const JoinGroup = {
  apiKey: 11,
  name: 'JoinGroup',
  versions: '2-9',
  flexible: '6+',
  request: [
    f('groupId', 'string', '0+'),
    f('sessionTimeoutMs', 'int32', '0+'),
    f('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
    f('memberId', 'string', '0+'),
    f('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
    f('protocolType', 'string', '0+'),
    list('protocols', '0+', [f('name', 'string', '0+'), f('metadata', 'bytes', '0+')]),
    f('reason', 'string', '8+', { nullable: '8+', default: null }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    f('errorCode', 'int16', '0+'),
    f('generationId', 'int32', '0+', { default: -1 }),
    f('protocolType', 'string', '7+', { nullable: '7+', default: null }),
    f('protocolName', 'string', '0+', { nullable: '7+' }),
    f('leader', 'string', '0+'),
    f('skipAssignment', 'bool', '9+', { default: false }),
    f('memberId', 'string', '0+'),
    list('members', '0+', [
      f('memberId', 'string', '0+'),
      f('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
      f('metadata', 'bytes', '0+'),
    ]),
  ],
} as const satisfies ApiSchema

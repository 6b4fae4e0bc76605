// FindCoordinator (key 10): the broker that coordinates a consumer group (keyType 0) or a
// transactional id (keyType 1). From v4 one request asks for several keys at once.
import { f, list, type ApiSchema } from '../schema.ts'

export const FindCoordinator = {
  apiKey: 10,
  name: 'FindCoordinator',
  versions: '1-6',
  flexible: '3+',
  request: [
    f('key', 'string', '0-3'),
    f('keyType', 'int8', '1+', { default: 0 }),
    f('coordinatorKeys', '[]string', '4+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0-3'),
    f('errorMessage', 'string', '1-3', { nullable: '1-3', default: null }),
    f('nodeId', 'int32', '0-3'),
    f('host', 'string', '0-3'),
    f('port', 'int32', '0-3'),
    list('coordinators', '4+', [
      f('key', 'string', '4+'),
      f('nodeId', 'int32', '4+'),
      f('host', 'string', '4+'),
      f('port', 'int32', '4+'),
      f('errorCode', 'int16', '4+'),
      f('errorMessage', 'string', '4+', { nullable: '4+', default: null }),
    ]),
  ],
} as const satisfies ApiSchema

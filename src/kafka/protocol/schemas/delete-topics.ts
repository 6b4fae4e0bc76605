// DeleteTopics (key 20): by name (up to v5), by name or topic id (v6+).
import { f, list, type ApiSchema } from '../schema.ts'

export const DeleteTopics = {
  apiKey: 20,
  name: 'DeleteTopics',
  versions: '1-6',
  flexible: '4+',
  request: [
    list('topics', '6+', [
      f('name', 'string', '6+', { nullable: '6+', default: null }),
      f('topicId', 'uuid', '6+'),
    ]),
    f('topicNames', '[]string', '0-5'),
    f('timeoutMs', 'int32', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    list('responses', '0+', [
      f('name', 'string', '0+', { nullable: '6+' }),
      f('topicId', 'uuid', '6+'),
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '5+', { nullable: '5+', default: null }),
    ]),
  ],
} as const satisfies ApiSchema

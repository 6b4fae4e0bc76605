// CreatePartitions (key 37): raises a topic's partition count to `count`.
import { f, list, type ApiSchema } from '../schema.ts'

export const CreatePartitions = {
  apiKey: 37,
  name: 'CreatePartitions',
  versions: '0-3',
  flexible: '2+',
  request: [
    list('topics', '0+', [
      f('name', 'string', '0+'),
      f('count', 'int32', '0+'),
      list('assignments', '0+', [f('brokerIds', '[]int32', '0+')], { nullable: '0+' }),
    ]),
    f('timeoutMs', 'int32', '0+'),
    f('validateOnly', 'bool', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    list('results', '0+', [
      f('name', 'string', '0+'),
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
    ]),
  ],
} as const satisfies ApiSchema

// AlterClientQuotas (key 49): sets or removes quotas (produce/fetch byte rates, request
// percentage, …) of client entities (user, client-id, ip; a null name is the entity's default).
import { f, list, type ApiSchema } from '../schema.ts'

const entity = list('entity', '0+', [
  f('entityType', 'string', '0+'),
  f('entityName', 'string', '0+', { nullable: '0+' }),
])

export const AlterClientQuotas = {
  apiKey: 49,
  name: 'AlterClientQuotas',
  versions: '0-1',
  flexible: '1+',
  request: [
    list('entries', '0+', [
      entity,
      list('ops', '0+', [f('key', 'string', '0+'), f('value', 'float64', '0+'), f('remove', 'bool', '0+')]),
    ]),
    f('validateOnly', 'bool', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    list('entries', '0+', [
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '0+', { nullable: '0+' }),
      entity,
    ]),
  ],
} as const satisfies ApiSchema

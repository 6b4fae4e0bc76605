// ListGroups (key 16): the groups a broker coordinates, filterable by state (v4+) and type (v5+).
import { f, list, type ApiSchema } from '../schema.ts'

export const ListGroups = {
  apiKey: 16,
  name: 'ListGroups',
  versions: '0-5',
  flexible: '3+',
  request: [f('statesFilter', '[]string', '4+'), f('typesFilter', '[]string', '5+')],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0+'),
    list('groups', '0+', [
      f('groupId', 'string', '0+'),
      f('protocolType', 'string', '0+'),
      f('groupState', 'string', '4+'),
      f('groupType', 'string', '5+'),
    ]),
  ],
} as const satisfies ApiSchema

// DeleteGroups (key 42): deletes empty groups and their committed offsets.
import { f, list, type ApiSchema } from '../schema.ts'

export const DeleteGroups = {
  apiKey: 42,
  name: 'DeleteGroups',
  versions: '1-2',
  flexible: '2+',
  request: [f('groupsNames', '[]string', '0+')],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    list('results', '0+', [f('groupId', 'string', '0+'), f('errorCode', 'int16', '0+')]),
  ],
} as const satisfies ApiSchema

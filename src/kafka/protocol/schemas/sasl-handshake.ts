// SaslHandshake (key 17): picks the SASL mechanism; v1 means the exchange continues with
// SaslAuthenticate requests (v0's raw token frames were removed in Kafka 4).
import { f, type ApiSchema } from '../schema.ts'

export const SaslHandshake = {
  apiKey: 17,
  name: 'SaslHandshake',
  versions: '1',
  flexible: 'none',
  request: [f('mechanism', 'string', '0+')],
  response: [f('errorCode', 'int16', '0+'), f('mechanisms', '[]string', '0+')],
} as const satisfies ApiSchema

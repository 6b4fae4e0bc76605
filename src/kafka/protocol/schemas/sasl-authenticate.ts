// SaslAuthenticate (key 36): one round of the SASL exchange. sessionLifetimeMs (v1+) tells the
// client when it must re-authenticate (KIP-368).
import { f, type ApiSchema } from '../schema.ts'

export const SaslAuthenticate = {
  apiKey: 36,
  name: 'SaslAuthenticate',
  versions: '0-2',
  flexible: '2+',
  request: [f('authBytes', 'bytes', '0+')],
  response: [
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    f('authBytes', 'bytes', '0+'),
    f('sessionLifetimeMs', 'int64', '1+', { default: 0n }),
  ],
} as const satisfies ApiSchema

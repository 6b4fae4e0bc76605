// SASL PLAIN (RFC 4616): one message `authzid NUL authcid NUL passwd`. Only safe over TLS; the
// broker answers with an empty message on success or an error code on SaslAuthenticate.

import { ConfigError } from '../../core/errors.ts'
import type { SaslExchange, SaslMechanism } from './mechanism.ts'

const encoder = new TextEncoder()

export function plainMechanism(username: string, password: string, authzid = ''): SaslMechanism {
  for (const [what, value] of [
    ['username', username],
    ['password', password],
    ['authzid', authzid],
  ] as const) {
    if (typeof value !== 'string') throw new ConfigError(`SASL PLAIN ${what} must be a string`)
    // A NUL inside a field would shift the field boundaries the server parses.
    if (value.includes('\0')) throw new ConfigError(`SASL PLAIN ${what} must not contain NUL`)
  }
  if (username === '') throw new ConfigError('SASL PLAIN username must not be empty')
  return {
    name: 'PLAIN',
    async authenticate(exchange: SaslExchange): Promise<void> {
      await exchange(encoder.encode(`${authzid}\0${username}\0${password}`))
    },
  }
}

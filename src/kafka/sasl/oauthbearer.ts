// SASL OAUTHBEARER (RFC 7628) as Kafka uses it: the client sends a GS2 header and the bearer token
// (plus optional SASL extensions, KIP-342). Conduit does not fetch tokens itself: the application
// supplies a `token()` hook, called on every (re)connect so a refreshed token is always used.

import { AuthenticationError, ConfigError } from '../../core/errors.ts'
import type { SaslExchange, SaslMechanism } from './mechanism.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const SEP = '\x01'

export interface OAuthBearerToken {
  /** The compact JWS (or opaque) bearer token. */
  value: string
  /** SASL extensions sent with the token (KIP-342), e.g. `{ logicalCluster: 'lkc-1' }`. */
  extensions?: Record<string, string>
}

export type OAuthBearerProvider = () => Promise<OAuthBearerToken | string> | OAuthBearerToken | string

/** Builds the client's initial response: `n,,\x01auth=Bearer <token>\x01[k=v\x01…]\x01`. */
export function oauthBearerInitialResponse(token: OAuthBearerToken): Uint8Array {
  if (typeof token.value !== 'string' || token.value === '' || /[\x00-\x20\x7f]/.test(token.value)) {
    throw new ConfigError('OAUTHBEARER token must be a non-empty string without spaces or control characters')
  }
  let extensions = ''
  for (const [key, value] of Object.entries(token.extensions ?? {})) {
    // RFC 7628 key grammar; "auth" is reserved for the token itself.
    if (!/^[A-Za-z]+$/.test(key) || key === 'auth')
      throw new ConfigError(`invalid OAUTHBEARER extension key "${key}"`)
    if (value.includes(SEP)) throw new ConfigError(`OAUTHBEARER extension "${key}" must not contain \\x01`)
    extensions += `${key}=${value}${SEP}`
  }
  return encoder.encode(`n,,${SEP}auth=Bearer ${token.value}${SEP}${extensions}${SEP}`)
}

export function oauthBearerMechanism(provider: OAuthBearerProvider): SaslMechanism {
  if (typeof provider !== 'function') throw new ConfigError('sasl.oauthBearerProvider must be a function')
  return {
    name: 'OAUTHBEARER',
    async authenticate(exchange: SaslExchange): Promise<void> {
      const raw = await provider()
      const token = typeof raw === 'string' ? { value: raw } : raw
      const reply = await exchange(oauthBearerInitialResponse(token))
      // A non-empty reply is the server's JSON error status (RFC 7628 §3.2.2); the client must
      // answer with a single \x01 to end the exchange, and the attempt has failed.
      if (reply.length > 0) {
        const status = decoder.decode(reply)
        await exchange(encoder.encode(SEP)).catch(() => undefined)
        throw new AuthenticationError(`OAUTHBEARER token rejected by the broker: ${status}`)
      }
    },
  }
}

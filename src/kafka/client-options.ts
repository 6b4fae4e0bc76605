// Connection settings of the Kafka driver: the URL (`kafka://h:p[,h:p…]`, `kafka+ssl://…`, user
// info and `?sasl=` for credentials) merged with the options object, validated up front.

import type tls from 'node:tls'
import { ConfigError } from '../core/errors.ts'
import { parseBrokerList, type BrokerAddress, type ClusterOptions } from './cluster.ts'
import type { SaslMechanism } from './sasl/mechanism.ts'
import { oauthBearerMechanism, type OAuthBearerProvider } from './sasl/oauthbearer.ts'
import { plainMechanism } from './sasl/plain.ts'
import { scramMechanism } from './sasl/scram.ts'
import { redactUrl } from '../core/redact-url.ts'
import { warnInsecureAuth } from '../core/insecure-auth.ts'

export interface SaslOptions {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' | 'oauthbearer'
  username?: string
  password?: string
  /** For OAUTHBEARER: called on every (re)connect for a current token. */
  oauthBearerProvider?: OAuthBearerProvider
  /** For OAUTHBEARER: a fixed token, or a function returning the current one (same as oauthBearerProvider). */
  token?: string | OAuthBearerProvider
}

export interface KafkaClientOptions {
  clientId?: string
  /** true for TLS with system CAs, or node:tls options (ca, cert, key, servername, …). */
  tls?: tls.ConnectionOptions | boolean
  sasl?: SaslOptions
  /** Rewrites every broker address before connecting (fault-proxy tests, NAT). */
  mapAddress?: (host: string, port: number) => BrokerAddress
  connectTimeoutMs?: number
  requestTimeoutMs?: number
  metadataMaxAgeMs?: number
  maxInFlight?: number
  reconnectInitialMs?: number
  reconnectMaxMs?: number
  allowAutoTopicCreation?: boolean
  /** Largest frame accepted from a broker (default 128 MiB); a larger one is a ProtocolError. */
  maxFrameBytes?: number
  /**
   * Send SASL PLAIN credentials or an OAUTHBEARER token over a connection without TLS without
   * the one-time CONDUIT_INSECURE_AUTH warning.
   */
  allowInsecureAuth?: boolean
}

function saslFrom(options: SaslOptions): SaslMechanism {
  const need = (v: string | undefined, what: string): string => {
    if (typeof v !== 'string') throw new ConfigError(`SASL ${options.mechanism} needs a ${what}`)
    return v
  }
  switch (String(options.mechanism).toLowerCase()) {
    case 'plain':
      return plainMechanism(need(options.username, 'username'), need(options.password, 'password'))
    case 'scram-sha-256':
      return scramMechanism(
        'SCRAM-SHA-256',
        need(options.username, 'username'),
        need(options.password, 'password'),
      )
    case 'scram-sha-512':
      return scramMechanism(
        'SCRAM-SHA-512',
        need(options.username, 'username'),
        need(options.password, 'password'),
      )
    case 'oauthbearer': {
      const token = options.oauthBearerProvider ?? options.token
      if (typeof token === 'string') return oauthBearerMechanism(() => token)
      if (!token) throw new ConfigError('SASL oauthbearer needs a token (a string or a function)')
      return oauthBearerMechanism(token)
    }
    default:
      throw new ConfigError(
        `unknown SASL mechanism "${String(options.mechanism)}": use plain, scram-sha-256, scram-sha-512 or oauthbearer`,
      )
  }
}

/**
 * `user:password` from a URL, percent-decoded. Only the first `:` separates them (a password may
 * contain more); a malformed escape is a ConfigError that does not quote the secret.
 */
export function userInfo(raw: string, url: string): { username: string; password: string } {
  const colon = raw.indexOf(':')
  const decode = (part: string, what: string): string => {
    try {
      return decodeURIComponent(part)
    } catch {
      throw new ConfigError(`the ${what} in Kafka URL "${redactUrl(url)}" has a malformed %-escape`)
    }
  }
  return colon < 0
    ? { username: decode(raw, 'user name'), password: '' }
    : {
        username: decode(raw.slice(0, colon), 'user name'),
        password: decode(raw.slice(colon + 1), 'password'),
      }
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`Kafka option ${name} must be a positive integer, got ${String(value)}`)
  }
  return value
}

/** Parses the URL and options into cluster settings. */
export function clusterOptionsFrom(url: string, options: KafkaClientOptions): ClusterOptions {
  // User info runs to the *last* `@` before the path or query, so a password with a raw `@` still
  // parses (as WHATWG URLs do); `/`, `?` and `#` in a password must be percent-encoded.
  const match = /^(kafka|kafka\+ssl):\/\/(?:([^/?#]*)@)?([^@/?#]*)\/?(?:\?([^#]*))?$/i.exec(url)
  if (!match)
    throw new ConfigError(`"${redactUrl(url)}" is not a Kafka URL: expected kafka://host:port[,host:port…]`)
  const secure = match[1]!.toLowerCase() === 'kafka+ssl'
  const bootstrap = parseBrokerList(match[3]!)
  if (bootstrap.length === 0) throw new ConfigError(`Kafka URL "${redactUrl(url)}" names no broker`)
  const params = new URLSearchParams(match[4] ?? '')

  let sasl = options.sasl
  if (!sasl && (match[2] || params.get('sasl'))) {
    const { username, password } = userInfo(match[2] ?? '', url)
    sasl = { mechanism: (params.get('sasl') ?? 'plain') as SaslOptions['mechanism'], username, password }
  }
  if (options.mapAddress !== undefined && typeof options.mapAddress !== 'function') {
    throw new ConfigError('Kafka option mapAddress must be a function (host, port) => { host, port }')
  }
  const clientId = options.clientId ?? params.get('clientId') ?? 'conduit'
  if (typeof clientId !== 'string' || clientId.length > 255)
    throw new ConfigError('clientId must be a string of ≤ 255 chars')
  const tls = options.tls ?? (secure ? true : undefined)
  const mechanism = sasl ? saslFrom(sasl) : undefined
  // SCRAM never sends the password itself; PLAIN and OAUTHBEARER send a reusable secret.
  if (mechanism && (mechanism.name === 'PLAIN' || mechanism.name === 'OAUTHBEARER') && !tls) {
    warnInsecureAuth(`SASL ${mechanism.name} credentials`, redactUrl(url), options.allowInsecureAuth)
  }
  return {
    bootstrap,
    clientId,
    tls,
    sasl: mechanism,
    mapAddress: options.mapAddress,
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 10_000),
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 30_000),
    metadataMaxAgeMs: positive('metadataMaxAgeMs', options.metadataMaxAgeMs, 300_000),
    maxInFlight: positive('maxInFlight', options.maxInFlight, 64),
    maxFrameBytes: positive('maxFrameBytes', options.maxFrameBytes, 128 * 1024 * 1024),
    reconnectInitialMs: positive('reconnectInitialMs', options.reconnectInitialMs, 100),
    reconnectMaxMs: positive('reconnectMaxMs', options.reconnectMaxMs, 10_000),
    allowAutoTopicCreation: options.allowAutoTopicCreation ?? true,
  }
}

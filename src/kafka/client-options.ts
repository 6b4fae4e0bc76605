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

export interface SaslOptions {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' | 'oauthbearer'
  username?: string
  password?: string
  /** For OAUTHBEARER: called on every (re)connect for a current token. */
  oauthBearerProvider?: OAuthBearerProvider
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
    case 'oauthbearer':
      if (!options.oauthBearerProvider)
        throw new ConfigError('SASL oauthbearer needs an oauthBearerProvider function')
      return oauthBearerMechanism(options.oauthBearerProvider)
    default:
      throw new ConfigError(
        `unknown SASL mechanism "${String(options.mechanism)}": use plain, scram-sha-256, scram-sha-512 or oauthbearer`,
      )
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
export function clusterOptionsFrom(
  url: string,
  options: KafkaClientOptions & { maxFrameBytes?: number },
): ClusterOptions {
  const match = /^(kafka|kafka\+ssl):\/\/(?:([^@/]*)@)?([^/?#]*)\/?(?:\?([^#]*))?$/i.exec(url)
  if (!match)
    throw new ConfigError(`"${redactUrl(url)}" is not a Kafka URL: expected kafka://host:port[,host:port…]`)
  const secure = match[1]!.toLowerCase() === 'kafka+ssl'
  const bootstrap = parseBrokerList(match[3]!)
  if (bootstrap.length === 0) throw new ConfigError(`Kafka URL "${redactUrl(url)}" names no broker`)
  const params = new URLSearchParams(match[4] ?? '')

  let sasl = options.sasl
  if (!sasl && (match[2] || params.get('sasl'))) {
    const [user, pass] = (match[2] ?? '').split(':').map((s) => decodeURIComponent(s))
    sasl = {
      mechanism: (params.get('sasl') ?? 'plain') as SaslOptions['mechanism'],
      username: user,
      password: pass ?? '',
    }
  }
  if (options.mapAddress !== undefined && typeof options.mapAddress !== 'function') {
    throw new ConfigError('Kafka option mapAddress must be a function (host, port) => { host, port }')
  }
  const clientId = options.clientId ?? params.get('clientId') ?? 'conduit'
  if (typeof clientId !== 'string' || clientId.length > 255)
    throw new ConfigError('clientId must be a string of ≤ 255 chars')
  return {
    bootstrap,
    clientId,
    tls: options.tls ?? (secure ? true : undefined),
    sasl: sasl ? saslFrom(sasl) : undefined,
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

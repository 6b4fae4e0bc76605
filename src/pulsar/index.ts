// `conduit-mq/pulsar`: the Pulsar binary-protocol driver. `pulsarDriver` plugs into connect() for
// pulsar:// and pulsar+ssl:// URLs; the native API (client, producer, consumer, reader, admin) is
// exported for everything the common contract does not cover.
//
// Connect options (all optional): token (string or supplier), auth (an AuthProvider), oauth2
// (client credentials), tls ({ ca, cert, key, … } for pulsar+ssl; a client certificate also
// authenticates with the `tls` method), adminUrl (default http://<host>:8080), mapAddress,
// connectTimeoutMs, operationTimeoutMs, keepAliveMs, proxyUrl, reconnectBackoff.

import type { Broker, ConnectOptions, Driver } from '../core/contract.ts'
import { ConfigError } from '../core/errors.ts'
import { PulsarAdmin } from './admin.ts'
import { oauth2ClientCredentials, tlsAuth, tokenAuth } from './auth.ts'
import type { AuthProvider, OAuth2Options } from './auth.ts'
import { PulsarBroker } from './broker.ts'
import { PulsarClient } from './client.ts'
import type { PulsarClientOptions } from './client.ts'
import { parseServiceUrl } from './service-url.ts'
import { redactUrl } from '../core/redact-url.ts'
import { warnInsecureAuth } from '../core/insecure-auth.ts'

export interface PulsarConnectOptions extends PulsarClientOptions {
  oauth2?: OAuth2Options
  adminUrl?: string
  /** Send a token over pulsar:// (no TLS) without the one-time CONDUIT_INSECURE_AUTH warning. */
  allowInsecureAuth?: boolean
}

export function authFrom(opts: PulsarConnectOptions): AuthProvider | undefined {
  if (opts.auth) return opts.auth
  if (opts.token !== undefined) return tokenAuth(opts.token)
  if (opts.oauth2) return oauth2ClientCredentials(opts.oauth2)
  if (opts.tls && (opts.tls.cert !== undefined || opts.tls.key !== undefined)) return tlsAuth()
  return undefined
}

/** A native client: `createClient('pulsar://127.0.0.1:6650', { token })`. */
export async function createClient(url: string, options: PulsarConnectOptions = {}): Promise<PulsarClient> {
  const auth = authFrom(options)
  // A token is a bearer secret: whoever reads it off a plaintext connection can use it.
  if (auth?.method === 'token' && parseServiceUrl(url).some((service) => !service.tls)) {
    warnInsecureAuth('Pulsar token credentials', redactUrl(url), options.allowInsecureAuth)
  }
  const client = new PulsarClient(url, options, auth)
  // Connect once now, so a wrong address or bad credentials fail here with a clear error.
  try {
    await client.serviceConnection()
  } catch (err) {
    await client.close()
    throw err
  }
  return client
}

export const pulsarDriver: Driver = {
  name: 'pulsar',
  schemes: ['pulsar', 'pulsar+ssl'],
  async connect(url: string, options: ConnectOptions): Promise<Broker> {
    const opts = options as PulsarConnectOptions
    const [first] = parseServiceUrl(url)
    if (!first) throw new ConfigError(`no host in "${redactUrl(url)}"`)
    const client = await createClient(url, opts)
    const adminUrl =
      opts.adminUrl ??
      `${first.tls ? 'https' : 'http'}://${first.host.includes(':') ? `[${first.host}]` : first.host}:${first.tls ? 8443 : 8080}`
    const token = opts.token
    const admin = new PulsarAdmin({
      url: adminUrl,
      ...(token !== undefined ? { token } : {}),
      ...(opts.tls ? { tls: opts.tls } : {}),
    })
    return new PulsarBroker(url, client, admin)
  },
}

export { PulsarClient } from './client.ts'
export type { PulsarClientOptions, LookupResult } from './client.ts'
export { PulsarConnection } from './connection.ts'
export { PulsarProducer } from './producer/producer.ts'
export type { PulsarProducerConfig } from './producer/producer.ts'
export type { PulsarMessageInput } from './producer/message-builder.ts'
export { PulsarConsumer } from './consumer/consumer.ts'
export type { PulsarConsumerOptions, DeadLetterPolicy } from './consumer/consumer.ts'
export { PulsarMessage } from './consumer/message.ts'
export { EncryptedMessageError, encryptedMessage } from './consumer/crypto.ts'
export type {
  CryptoFailureAction,
  EncryptedMessageEvent,
  EncryptionContext,
  EncryptionKeyInfo,
} from './consumer/crypto.ts'
export { chunkDropped } from './consumer/chunks.ts'
export type { ChunkDroppedEvent, ChunkDropReason, ChunkingOptions } from './consumer/chunks.ts'
export type { PartitionUpdateOptions } from './partition-updater.ts'
export { PulsarReader } from './reader.ts'
export type { PulsarReaderOptions } from './reader.ts'
export { PulsarAdmin } from './admin.ts'
export type { PulsarAdminOptions, TopicStats } from './admin.ts'
export { PulsarBroker } from './broker.ts'
export { MessageId } from './protocol/message-id.ts'
export { tokenAuth, tlsAuth, oauth2ClientCredentials } from './auth.ts'
export type { AuthProvider, OAuth2Options } from './auth.ts'
export { parseTopicName, partitionTopic } from './topic-name.ts'

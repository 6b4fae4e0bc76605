// `conduit-mq/rocketmq`: the RocketMQ remoting-protocol driver. `connect('rocketmq://h:p;h2:p2')`
// gives the common-contract Broker; the native API (client, producer, transactional producer,
// push consumer, admin) is exported for everything RocketMQ-specific.

import type { ConnectOptions, Driver } from '../core/contract.ts'
import { ConfigError } from '../core/errors.ts'
import { RocketMQBroker } from './broker.ts'
import { RocketMQClient, type ClientOptions } from './client.ts'
import { SerializeType } from './protocol/remoting-command.ts'
import { redactUrl } from '../core/redact-url.ts'

export { RocketMQBroker, ROCKETMQ_CAPABILITIES } from './broker.ts'
export { RocketMQClient, type ClientOptions } from './client.ts'
export { RocketMQAdmin } from './admin.ts'
export { RocketMQProducer, type RocketMQProducerOptions, type SendOptions } from './producer/producer.ts'
export type { RocketMQMessage, RocketMQSendResult } from './producer/message.ts'
export {
  TransactionalProducer,
  type TransactionOutcome,
  type TransactionCallbacks,
} from './producer/transactions.ts'
export { request, reply, type Reply } from './producer/request-reply.ts'
export {
  RocketMQPushConsumer,
  type RocketMQConsumerOptions,
  type ConsumedBatch,
} from './consumer/push-consumer.ts'
export type { MessageExt } from './protocol/message-ext.ts'
export type { MessageQueue } from './protocol/route.ts'

/** Name-server addresses of a `rocketmq://` URL: `rocketmq://h1:9876;h2:9876`. */
export function parseRocketMQUrl(url: string): string[] {
  const m = /^rocketmq:\/\/([^/?#]+)\/?(?:[?#].*)?$/i.exec(url)
  if (!m)
    throw new ConfigError(
      `"${redactUrl(url)}" is not a RocketMQ URL: expected rocketmq://namesrv:port[;namesrv2:port]`,
    )
  if (m[1]!.includes('@')) {
    // ACL credentials are options; an address with user info would otherwise be dialled (and
    // quoted in errors) with the secret in it.
    throw new ConfigError(
      `"${redactUrl(url)}" has user info; credentials do not belong in a RocketMQ URL: pass { accessKey, secretKey } in the options`,
    )
  }
  const addresses = m[1]!.split(/[;,]/).filter((a) => a !== '')
  for (const a of addresses) {
    const port = Number(a.slice(a.lastIndexOf(':') + 1))
    if (a.lastIndexOf(':') <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new ConfigError(`"${redactUrl(a)}" in ${redactUrl(url)} is not a host:port name-server address`)
    }
  }
  if (addresses.length === 0) throw new ConfigError(`${redactUrl(url)} names no name server`)
  return addresses
}

/** Client options from connect() options: credentials, tls, mapAddress, timeouts, maxFrameBytes. */
export function clientOptions(url: string, options: ConnectOptions): ClientOptions {
  const out: ClientOptions = { nameServers: parseRocketMQUrl(url) }
  const {
    accessKey,
    secretKey,
    tls,
    mapAddress,
    requestTimeoutMs,
    connectTimeoutMs,
    maxFrameBytes,
    serialization,
    clientId,
  } = options
  if (accessKey !== undefined || secretKey !== undefined) {
    if (
      typeof accessKey !== 'string' ||
      typeof secretKey !== 'string' ||
      accessKey === '' ||
      secretKey === ''
    ) {
      throw new ConfigError('rocketmq ACL needs both accessKey and secretKey as non-empty strings')
    }
    out.credentials = { accessKey, secretKey }
  }
  if (tls !== undefined) {
    if (typeof tls !== 'boolean' && (typeof tls !== 'object' || tls === null))
      throw new ConfigError('tls must be true or tls.connect options')
    out.tls = tls as ClientOptions['tls']
  }
  if (mapAddress !== undefined) {
    if (typeof mapAddress !== 'function')
      throw new ConfigError('mapAddress must be a function (host, port) => { host, port }')
    out.mapAddress = mapAddress as ClientOptions['mapAddress']
  }
  for (const [name, value] of [
    ['requestTimeoutMs', requestTimeoutMs],
    ['connectTimeoutMs', connectTimeoutMs],
    ['maxFrameBytes', maxFrameBytes],
  ] as const) {
    if (value === undefined) continue
    if (!Number.isInteger(value) || (value as number) <= 0)
      throw new ConfigError(`${name} must be a positive integer`)
    out[name] = value as number
  }
  if (serialization !== undefined) {
    if (serialization !== 'json' && serialization !== 'rocketmq')
      throw new ConfigError("serialization must be 'json' or 'rocketmq'")
    out.serializeType = serialization === 'json' ? SerializeType.JSON : SerializeType.ROCKETMQ
  }
  if (clientId !== undefined) {
    if (typeof clientId !== 'string' || clientId === '')
      throw new ConfigError('clientId must be a non-empty string')
    out.clientId = clientId
  }
  return out
}

export const rocketmqDriver: Driver = {
  name: 'rocketmq',
  schemes: ['rocketmq'],
  async connect(url: string, options: ConnectOptions): Promise<RocketMQBroker> {
    const client = new RocketMQClient(clientOptions(url, options))
    try {
      // Fail at connect when no name server answers, not at the first send.
      await client.nameServers.clusterInfo()
    } catch (err) {
      await client.close()
      throw err
    }
    return new RocketMQBroker(url, client)
  },
}

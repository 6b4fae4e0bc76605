// `conduit-mq/pulsar-ws`: Apache Pulsar through its WebSocket API, for places where only the web
// service port is reachable. `pulsarWsDriver` plugs into connect() for ws:// and wss:// URLs (the
// web service base, e.g. ws://127.0.0.1:8080); the native API — producers with every server-side
// option, consumers, readers, the handler form, ad-hoc produce, the registry — is exported for
// everything the common contract does not cover.
//
// Connect options (all optional): tenant, namespace, persistence (defaults for short topic names;
// tenant and namespace may also be given as ?tenant=&namespace= in the URL), token (JWT), tls
// ({ ca, cert, key, … } for wss://), adminUrl (default: the same web service over http(s)),
// maxTextFrameSize (the server's webSocketMaxTextFrameSize, default 1 MiB), connectTimeoutMs,
// keepAliveMs, reconnectBackoff.

import type { Broker, ConnectOptions, Driver } from '../core/contract.ts'
import { AuthenticationError } from '../core/errors.ts'
import { PulsarWsBroker } from './broker.ts'
import { PulsarWsClient } from './client.ts'
import type { PulsarWsClientOptions } from './client.ts'

export type PulsarWsConnectOptions = Omit<PulsarWsClientOptions, 'url'>

export const pulsarWsDriver: Driver = {
  name: 'pulsar-ws',
  schemes: ['ws', 'wss'],
  async connect(url: string, options: ConnectOptions): Promise<Broker> {
    const client = new PulsarWsClient({ ...(options as PulsarWsConnectOptions), url })
    // The WebSocket API has no connection of its own to check; ask the web service once so that a
    // wrong address or a refused token fails here with a clear error, not at the first producer.
    try {
      await client.admin.listTenants()
    } catch (error) {
      // 403: the token is valid but its role may not list tenants — it may still produce and consume.
      if (!(error instanceof AuthenticationError && / HTTP 403 /.test(error.message))) throw error
    }
    return new PulsarWsBroker(url, client)
  },
}

export { PulsarWsClient } from './client.ts'
export type {
  PulsarWsClientOptions,
  WsProducerOptions,
  WsConsumerOptions,
  WsReaderOptions,
} from './client.ts'
export { PulsarWsProducer, DEFAULT_MAX_TEXT_FRAME_SIZE } from './producer.ts'
export type { WsMessageInput, WsSendReceipt, ReceiptCallback } from './producer.ts'
export { PulsarWsConsumer } from './consumer.ts'
export { PulsarWsReader } from './reader.ts'
export type { ReaderStart } from './reader.ts'
export { PulsarWsMessage, KEY_ENCODING_PROPERTY } from './message.ts'
export type { EncryptionContext, EncryptionKeyInfo } from './protocol.ts'
export { runMessageHandler } from './handler.ts'
export type { MessageHandler, HandlerResult, HandlerRunOptions } from './handler.ts'
export { produce, parseProducerUrl } from './produce.ts'
export { Registry, registryKey } from './registry.ts'
export type { RegistryKey, ComponentKind } from './registry.ts'
export { PulsarWsBroker } from './broker.ts'
export { MessageId, messageIdFromWs, messageIdToWs, toMessageId } from './message-id.ts'
export type {
  ProducerParams,
  ConsumerParams,
  SubscriptionType,
  Persistence,
  TopicAddress,
} from './endpoint.ts'
export type { WsTlsOptions } from './socket.ts'

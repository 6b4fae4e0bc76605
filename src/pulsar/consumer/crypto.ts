// End-to-end encrypted messages (MessageMetadata.encryption_keys set by a producer with a crypto key
// reader). Conduit does not decrypt, so every encrypted message is what the Java client calls a
// crypto failure, and the consumer's `cryptoFailureAction` decides what happens to it:
//
// - 'fail' (default, as in Java): never handed out as if it were plaintext. It is not acknowledged
//   (with an ack timeout it is redelivered, and fails again), and the next receive() rejects with
//   an EncryptedMessageError naming it;
// - 'discard': acknowledged (with the DecryptionError validation code, so the broker logs it) and
//   reported;
// - 'consume': handed out undecrypted: `message.encrypted` is true, `value` is the ciphertext (still
//   compressed, and for a batch the whole batch) and `encryptionContext` says how to decrypt it.
//
// Every encrypted message is published on `conduit:pulsar:message:encrypted` with the action taken.

import dc from 'node:diagnostics_channel'
import { ConduitError, ConfigError } from '../../core/errors.ts'
import type { TypedChannel } from '../../core/diagnostics.ts'
import { CompressionType } from '../protocol/generated/pulsar-api_pb.ts'
import type { MessageMetadata } from '../protocol/generated/pulsar-api_pb.ts'
import type { MessageId } from '../protocol/message-id.ts'
import type { EncryptionContext, EncryptionKeyInfo } from '../protocol/encryption-context.ts'

export type CryptoFailureAction = 'fail' | 'discard' | 'consume'

export const CRYPTO_FAILURE_ACTIONS: readonly CryptoFailureAction[] = ['fail', 'discard', 'consume']

export function cryptoFailureAction(value: string | undefined): CryptoFailureAction {
  if (value === undefined) return 'fail'
  if (!(CRYPTO_FAILURE_ACTIONS as readonly string[]).includes(value))
    throw new ConfigError(`cryptoFailureAction must be 'fail', 'discard' or 'consume', not "${value}"`)
  return value as CryptoFailureAction
}

export type { EncryptionContext, EncryptionKeyInfo }

function compressionName(type: CompressionType): string {
  for (const [name, value] of Object.entries(CompressionType)) if (value === type) return name
  return String(type)
}

export function isEncrypted(md: MessageMetadata): boolean {
  return md.encryptionKeys.length > 0
}

export function encryptionContext(md: MessageMetadata, batched: boolean): EncryptionContext {
  const keys: Record<string, EncryptionKeyInfo> = {}
  for (const k of md.encryptionKeys) {
    const metadata: Record<string, string> = {}
    for (const kv of k.metadata) metadata[kv.key] = kv.value
    keys[k.key] = { keyValue: k.value, metadata }
  }
  return {
    keys,
    param: md.encryptionParam,
    algorithm: md.encryptionAlgo || undefined,
    compressionType: compressionName(md.compression),
    uncompressedMessageSize: md.uncompressedSize,
    batchSize: batched ? md.numMessagesInBatch : undefined,
  }
}

/** An encrypted message the consumer could not decrypt and, with cryptoFailureAction 'fail', did not hand out. */
export class EncryptedMessageError extends ConduitError {
  static override readonly kind: string = 'EncryptedMessageError'
  readonly topic: string
  readonly messageId: MessageId
  /** The names of the keys it was encrypted with. */
  readonly keyNames: string[]

  constructor(topic: string, messageId: MessageId, keyNames: string[]) {
    super(
      'CONDUIT_PULSAR_ENCRYPTED_MESSAGE',
      `message ${messageId.toString()} on ${topic} is encrypted (keys ${keyNames.join(', ')}) and cannot be decrypted: ` +
        `it was not delivered nor acknowledged (cryptoFailureAction 'fail'; use 'consume' to receive the ciphertext or 'discard' to drop it)`,
    )
    this.topic = topic
    this.messageId = messageId
    this.keyNames = keyNames
  }
}

/** `conduit:pulsar:message:encrypted` — an encrypted message arrived and `action` was applied. */
export interface EncryptedMessageEvent {
  driver: 'pulsar'
  topic: string
  partition: number
  subscription: string
  messageId: MessageId
  keyNames: string[]
  action: CryptoFailureAction
}

export const encryptedMessage = dc.channel(
  'conduit:pulsar:message:encrypted',
) as unknown as TypedChannel<EncryptedMessageEvent>

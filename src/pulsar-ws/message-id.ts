// Message ids across the two Pulsar drivers. The WebSocket API speaks base64 of the MessageIdData
// protobuf; the binary driver's MessageId (src/pulsar/protocol/message-id.ts) reads and writes that
// same protobuf, so one class serves both and ids move freely between them:
//   ws base64  ⇄  MessageId  ⇄  `ledger:entry:partition:batchIndex` (the contract's Message.id)

import { ConfigError, ProtocolError } from '../core/errors.ts'
import { MessageId } from '../pulsar/protocol/message-id.ts'
import { decodeBase64, encodeBase64 } from './protocol.ts'

/** Parses an id the server sent (base64 protobuf); a malformed one is a ProtocolError. */
export function messageIdFromWs(base64: string): MessageId {
  const bytes = decodeBase64(base64, 'message id')
  try {
    return MessageId.fromBytes(bytes)
  } catch (cause) {
    throw new ProtocolError('Pulsar WebSocket message id is not a MessageIdData protobuf', { cause })
  }
}

/** The base64 form the WebSocket API wants for a MessageId. */
export function messageIdToWs(id: MessageId): string {
  return encodeBase64(id.toBytes())
}

/**
 * Accepts an id in any form a user may hold: a MessageId, the contract's `ledger:entry:p:b`
 * string, or the WebSocket base64 string. Wrong input is a ConfigError.
 */
export function toMessageId(id: MessageId | string): MessageId {
  if (id instanceof MessageId) return id
  if (typeof id !== 'string' || id.length === 0)
    throw new ConfigError('a message id must be a non-empty string')
  if (/^-?\d+:-?\d+(:-?\d+){0,2}$/.test(id)) return MessageId.parse(id)
  try {
    return messageIdFromWs(id)
  } catch (cause) {
    throw new ConfigError(
      `"${id}" is neither a Pulsar message id (ledger:entry:partition:batch) nor its base64 form`,
      {
        cause,
      },
    )
  }
}

export { MessageId }

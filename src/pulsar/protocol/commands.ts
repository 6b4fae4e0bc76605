// BaseCommand encoding and decoding through the generated protobuf code. Every command on the wire
// is one BaseCommand whose `type` names the one sub-message that is set; decoding checks that the
// sub-message the type promises is really there, so the connection never routes half a command.

import { create, fromBinary, toBinary } from '@bufbuild/protobuf'
import type { MessageInitShape } from '@bufbuild/protobuf'
import { ProtocolError } from '../../core/errors.ts'
import { BaseCommandSchema, BaseCommand_Type } from './generated/pulsar-api_pb.ts'
import type { BaseCommand } from './generated/pulsar-api_pb.ts'

export type CommandInit = MessageInitShape<typeof BaseCommandSchema>
export type { BaseCommand }
export { BaseCommand_Type as CommandType }

/** The BaseCommand field that carries the body of each command type we route. */
const BODY_FIELD: Partial<Record<number, keyof BaseCommand>> = {
  [BaseCommand_Type.CONNECTED]: 'connected',
  [BaseCommand_Type.SEND_RECEIPT]: 'sendReceipt',
  [BaseCommand_Type.SEND_ERROR]: 'sendError',
  [BaseCommand_Type.MESSAGE]: 'message',
  [BaseCommand_Type.SUCCESS]: 'success',
  [BaseCommand_Type.ERROR]: 'error',
  [BaseCommand_Type.CLOSE_PRODUCER]: 'closeProducer',
  [BaseCommand_Type.CLOSE_CONSUMER]: 'closeConsumer',
  [BaseCommand_Type.PRODUCER_SUCCESS]: 'producerSuccess',
  [BaseCommand_Type.PARTITIONED_METADATA_RESPONSE]: 'partitionMetadataResponse',
  [BaseCommand_Type.LOOKUP_RESPONSE]: 'lookupTopicResponse',
  [BaseCommand_Type.REACHED_END_OF_TOPIC]: 'reachedEndOfTopic',
  [BaseCommand_Type.GET_LAST_MESSAGE_ID_RESPONSE]: 'getLastMessageIdResponse',
  [BaseCommand_Type.ACTIVE_CONSUMER_CHANGE]: 'activeConsumerChange',
  [BaseCommand_Type.GET_TOPICS_OF_NAMESPACE_RESPONSE]: 'getTopicsOfNamespaceResponse',
  [BaseCommand_Type.AUTH_CHALLENGE]: 'authChallenge',
  [BaseCommand_Type.ACK_RESPONSE]: 'ackResponse',
  [BaseCommand_Type.WATCH_TOPIC_LIST_SUCCESS]: 'watchTopicListSuccess',
  [BaseCommand_Type.WATCH_TOPIC_UPDATE]: 'watchTopicUpdate',
  [BaseCommand_Type.TOPIC_MIGRATED]: 'topicMigrated',
}

export function encodeCommand(init: CommandInit): Uint8Array {
  return toBinary(BaseCommandSchema, create(BaseCommandSchema, init))
}

export function decodeCommand(bytes: Uint8Array): BaseCommand {
  let command: BaseCommand
  try {
    command = fromBinary(BaseCommandSchema, bytes)
  } catch (cause) {
    throw new ProtocolError(`malformed Pulsar command: ${(cause as Error).message}`, { cause })
  }
  const field = BODY_FIELD[command.type]
  if (field !== undefined && command[field] === undefined) {
    throw new ProtocolError(`Pulsar command ${commandName(command.type)} has no ${String(field)} body`)
  }
  return command
}

export function commandName(type: number): string {
  for (const [name, value] of Object.entries(BaseCommand_Type)) if (value === type) return name
  return `UNKNOWN(${type})`
}

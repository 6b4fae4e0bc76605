// A reader on `/ws/v2/reader/...`: reads a topic from earliest, latest or a message id, without a
// subscription of its own. The server sends only as many unacknowledged messages as the reader's
// receiverQueueSize, so a reader acknowledges each message as it is received — that is the API's
// flow control, not a consumption mark.
//
// Reconnect: a reader has no position on the broker. After a drop it reopens at the last message it
// received (the start id is exclusive), or at its original start if it had received nothing, so a
// reader neither skips nor repeats across a reconnect.

import type { TopicAddress } from './endpoint.ts'
import type { PulsarWsMessage } from './message.ts'
import { messageIdToWs, toMessageId } from './message-id.ts'
import type { MessageId } from './message-id.ts'
import { commands } from './protocol.ts'
import { Receiver } from './receiver.ts'
import type { SocketOptions } from './socket.ts'

export type ReaderStart = 'earliest' | 'latest' | MessageId | string

/** The `messageId` query value for a start position. */
export function readerStartParam(start: ReaderStart): string {
  if (start === 'earliest' || start === 'latest') return start
  return messageIdToWs(toMessageId(start))
}

export class PulsarWsReader extends Receiver {
  readonly #position: { last: string | undefined }

  constructor(
    url: (start: string) => string,
    address: TopicAddress,
    start: ReaderStart,
    socket: SocketOptions,
  ) {
    const first = readerStartParam(start)
    const position: { last: string | undefined } = { last: undefined }
    super(() => url(position.last ?? first), address, socket, 'reader on')
    this.#position = position
  }

  /** The id of the last message received (base64), from which a reconnect resumes. */
  get lastMessageId(): string | undefined {
    return this.#position.last
  }

  protected accepted(message: PulsarWsMessage): void {
    this.#position.last = message.messageId
    this.command(commands.ack(message.messageId))
  }

  protected resumed(): void {}
}

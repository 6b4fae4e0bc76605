// A producer that writes chunks by hand, in any order, to the real broker: the interleavings that
// several producers (or a producer resending) make by chance, made on demand. The broker stores
// and dispatches the frames as it would the Java client's chunks.
import { create, toBinary } from '@bufbuild/protobuf'
import type { PulsarClient } from '../../../src/pulsar/index.ts'
import type { ConnectionListener } from '../../../src/pulsar/connection.ts'
import { CommandType, encodeCommand } from '../../../src/pulsar/protocol/commands.ts'
import type { DecodedFrame } from '../../../src/pulsar/protocol/frame.ts'
import { MessageMetadataSchema } from '../../../src/pulsar/protocol/generated/pulsar-api_pb.ts'

export interface RawChunkProducer {
  /** Stores chunk `chunkId` of `parts.length` of message `uuid` (its payload is `parts[chunkId]`). */
  sendChunk(uuid: string, sequenceId: bigint, chunkId: number, parts: readonly string[]): Promise<void>
  close(): Promise<void>
}

export async function rawChunkProducer(client: PulsarClient, topic: string): Promise<RawChunkProducer> {
  const conn = await client.connectionFor(topic)
  const producerId = client.newProducerId()
  const waiting: Array<{ resolve: () => void; reject: (e: Error) => void }> = []
  const listener: ConnectionListener = {
    onCommand(frame: DecodedFrame) {
      const cmd = frame.command
      // Receipts come in send order; one send is in flight at a time.
      if (cmd.type === CommandType.SEND_RECEIPT) waiting.shift()?.resolve()
      if (cmd.type === CommandType.SEND_ERROR) waiting.shift()?.reject(new Error(cmd.sendError!.message))
    },
    onConnectionClosed(err) {
      for (const w of waiting.splice(0)) w.reject(err)
    },
  }
  conn.registerProducer(producerId, listener)
  const requestId = conn.newRequestId()
  const ok = await conn.sendRequest(requestId, {
    type: CommandType.PRODUCER,
    producer: { topic, producerId, requestId },
  })
  const producerName = ok.producerSuccess!.producerName
  return {
    sendChunk(uuid, sequenceId, chunkId, parts) {
      const payload = new TextEncoder().encode(parts[chunkId]!)
      const total = parts.reduce((n, p) => n + new TextEncoder().encode(p).length, 0)
      const md = create(MessageMetadataSchema, {
        producerName,
        sequenceId,
        publishTime: BigInt(Date.now()),
        uuid,
        chunkId,
        numChunksFromMsg: parts.length,
        totalChunkMsgSize: total,
      })
      const done = new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }))
      conn.sendPayload(
        encodeCommand({
          type: CommandType.SEND,
          send: { producerId, sequenceId, numMessages: 1, isChunk: true },
        }),
        toBinary(MessageMetadataSchema, md),
        payload,
      )
      return done
    },
    async close() {
      const id = conn.newRequestId()
      await conn.sendRequest(id, {
        type: CommandType.CLOSE_PRODUCER,
        closeProducer: { producerId, requestId: id },
      })
      conn.unregisterProducer(producerId, listener)
    },
  }
}

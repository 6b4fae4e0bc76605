// A fake Pulsar broker on loopback for behaviour a real broker cannot be made to show on demand
// (a handshake ERROR, a frame that is never answered, a race between two answers). It decodes the
// client's frames and lets the test answer each command.
import net from 'node:net'
import { after } from 'node:test'
import { create, toBinary } from '@bufbuild/protobuf'
import { CommandType, decodeCommand, encodeCommand } from '../../src/pulsar/protocol/commands.ts'
import type { BaseCommand, CommandInit } from '../../src/pulsar/protocol/commands.ts'
import {
  CommandLookupTopicResponse_LookupType,
  CommandPartitionedTopicMetadataResponse_LookupType,
  MessageMetadataSchema,
} from '../../src/pulsar/protocol/generated/pulsar-api_pb.ts'
import { encodePayloadFrame, encodeSimpleFrame } from '../../src/pulsar/protocol/frame.ts'

export interface Fake {
  port: number
  received: BaseCommand[]
  send(cmd: CommandInit): void
  /** A payload frame (MESSAGE): the command, the encoded MessageMetadata and the payload. */
  sendPayload(cmd: CommandInit, metadata: Uint8Array, payload: Uint8Array): void
  raw(bytes: Uint8Array): void
  close(): Promise<void>
}

const servers: Fake[] = []
after(() => Promise.all(servers.map((s) => s.close())))

export const connected = (extra: object = {}): CommandInit => ({
  type: CommandType.CONNECTED,
  connected: { serverVersion: 'fake', protocolVersion: 20, maxMessageSize: 1234567, ...extra },
})

/** Starts a fake broker; `onCommand` sees every command the client sends, in order. */
export async function fakeBroker(onCommand: (cmd: BaseCommand, fake: Fake) => void): Promise<Fake> {
  const sockets = new Set<net.Socket>()
  let current: net.Socket | undefined
  const fake: Fake = {
    port: 0,
    received: [],
    send(cmd) {
      current?.write(encodeSimpleFrame(encodeCommand(cmd)))
    },
    sendPayload(cmd, metadata, payload) {
      const [header, body] = encodePayloadFrame(encodeCommand(cmd), metadata, payload)
      current?.write(Buffer.concat([header, body]))
    },
    raw(bytes) {
      current?.write(bytes)
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
  const server = net.createServer((socket) => {
    sockets.add(socket)
    current = socket
    let buffer = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk])
      while (buffer.length >= 4 && buffer.length >= 4 + buffer.readUInt32BE(0)) {
        const frame = buffer.subarray(4, 4 + buffer.readUInt32BE(0))
        buffer = buffer.subarray(4 + frame.length)
        const cmd = decodeCommand(frame.subarray(4, 4 + frame.readUInt32BE(0)))
        fake.received.push(cmd)
        onCommand(cmd, fake)
      }
    })
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  fake.port = (server.address() as net.AddressInfo).port
  servers.push(fake)
  return fake
}

/**
 * Answers what a client sends before it can produce or consume — CONNECT, PARTITIONED_METADATA
 * (not partitioned), LOOKUP (this broker) and SUBSCRIBE — and returns true; false for anything else.
 */
export function answerSetup(cmd: BaseCommand, fake: Fake): boolean {
  switch (cmd.type) {
    case CommandType.CONNECT:
      fake.send(connected())
      return true
    case CommandType.PARTITIONED_METADATA:
      fake.send({
        type: CommandType.PARTITIONED_METADATA_RESPONSE,
        partitionMetadataResponse: {
          requestId: cmd.partitionMetadata!.requestId,
          partitions: 0,
          response: CommandPartitionedTopicMetadataResponse_LookupType.Success,
        },
      })
      return true
    case CommandType.LOOKUP:
      fake.send({
        type: CommandType.LOOKUP_RESPONSE,
        lookupTopicResponse: {
          requestId: cmd.lookupTopic!.requestId,
          brokerServiceUrl: `pulsar://127.0.0.1:${fake.port}`,
          response: CommandLookupTopicResponse_LookupType.Connect,
          authoritative: true,
        },
      })
      return true
    case CommandType.SUBSCRIBE:
      fake.send({ type: CommandType.SUCCESS, success: { requestId: cmd.subscribe!.requestId } })
      return true
    default:
      return false
  }
}

/** Sends one unbatched entry (ledger, entry) with `value` as its payload to a consumer. */
export function sendEntry(
  fake: Fake,
  consumerId: bigint,
  ledgerId: bigint,
  entryId: bigint,
  value: string,
): void {
  const metadata = toBinary(
    MessageMetadataSchema,
    create(MessageMetadataSchema, { producerName: 'fake', sequenceId: entryId, publishTime: 1n }),
  )
  fake.sendPayload(
    { type: CommandType.MESSAGE, message: { consumerId, messageId: { ledgerId, entryId } } },
    metadata,
    new TextEncoder().encode(value),
  )
}

// A small fake remoting server for unit tests of paths a real broker cannot be made to take on
// demand (reordered or missing answers, garbage, redirects): every decoded command goes to
// `onCommand` with a way to write back.

import net from 'node:net'
import { FrameDecoder } from '../../src/core/frame-decoder.ts'
import {
  decodeCommand,
  encodeCommandBytes,
  type RemotingCommand,
} from '../../src/rocketmq/protocol/remoting-command.ts'

export interface Fake {
  port: number
  received: RemotingCommand[]
  sockets: net.Socket[]
  close(): Promise<void>
}

/** A server that hands every decoded command to `onCommand` with a way to write back. */
export async function fakeServer(
  onCommand: (cmd: RemotingCommand, write: (c: RemotingCommand) => void, socket: net.Socket) => void,
): Promise<Fake> {
  const received: RemotingCommand[] = []
  const sockets: net.Socket[] = []
  const server = net.createServer((socket) => {
    sockets.push(socket)
    const decoder = new FrameDecoder(1 << 20)
    socket.on('data', (chunk: Buffer) =>
      decoder.push(chunk, (frame) => {
        const cmd = decodeCommand(frame)
        received.push(cmd)
        onCommand(cmd, (c) => socket.write(encodeCommandBytes(c)), socket)
      }),
    )
    socket.on('error', () => {})
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    },
  }
}

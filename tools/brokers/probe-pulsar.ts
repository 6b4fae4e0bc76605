// Readiness probe for Pulsar's binary protocol: a CONNECT command answered by CONNECTED proves the
// broker service accepts clients (an open port alone does not). With a token, the handshake also
// proves JWT authentication works.
//
// Frame: int32 totalSize (= 4 + commandSize) | int32 commandSize | BaseCommand (protobuf).
// BaseCommand: 1 type (enum: CONNECT = 2, CONNECTED = 3), 2 connect (CommandConnect).
// CommandConnect: 1 client_version string, 3 auth_data bytes, 4 protocol_version int32,
// 5 auth_method_name string.
import { connect } from 'node:net'

const CONNECT = 2
const CONNECTED = 3
const PROTOCOL_VERSION = 19

function varint(value: number): Buffer {
  const bytes: number[] = []
  let v = value
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80)
    v >>>= 7
  }
  bytes.push(v)
  return Buffer.from(bytes)
}

function field(number: number, payload: Buffer): Buffer {
  return Buffer.concat([varint((number << 3) | 2), varint(payload.length), payload])
}

export function pulsarConnectFrame(token?: string): Buffer {
  const parts = [field(1, Buffer.from('conduit-probe')), Buffer.from([4 << 3]), varint(PROTOCOL_VERSION)]
  if (token) parts.push(field(3, Buffer.from(token)), field(5, Buffer.from('token')))
  const command = Buffer.concat([Buffer.from([1 << 3]), varint(CONNECT), field(2, Buffer.concat(parts))])
  const frame = Buffer.alloc(8 + command.length)
  frame.writeUInt32BE(4 + command.length, 0)
  frame.writeUInt32BE(command.length, 4)
  command.copy(frame, 8)
  return frame
}

/** Resolves true on CONNECTED; rejects on any other answer, a closed connection or a timeout. */
export function pulsarHandshake(
  port: number,
  options: { token?: string; timeoutMs?: number } = {},
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let received = Buffer.alloc(0)
    const fail = (error: Error): void => {
      clearTimeout(timer)
      socket.destroy()
      reject(error)
    }
    const timer = setTimeout(() => fail(new Error('Pulsar CONNECT timed out')), options.timeoutMs ?? 3000)
    socket.once('error', fail)
    socket.once('close', () => fail(new Error('connection closed before CONNECTED')))
    socket.once('connect', () => socket.write(pulsarConnectFrame(options.token)))
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      if (received.length < 8) return
      const total = received.readUInt32BE(0)
      if (total > 5 << 20) return fail(new Error(`implausible Pulsar frame size ${total}`))
      if (received.length < 4 + total) return
      clearTimeout(timer)
      socket.removeAllListeners('close')
      socket.destroy()
      // BaseCommand starts with field 1 (type) as a varint: tag 0x08, then the type.
      const type = received[8] === 0x08 ? received[9] : undefined
      if (type === CONNECTED) resolve(true)
      else reject(new Error(`Pulsar answered CONNECT with command type ${String(type)}`))
    })
  })
}

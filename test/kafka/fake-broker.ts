// A scripted Kafka server for unit tests of error paths a real broker cannot be made to produce
// on demand (a response that never comes, an unknown correlation id, SASL rejections). It speaks
// the real wire format through the protocol layer's encodeResponse/decodeRequest. Never the proof
// that the driver works against Kafka — the integration tests are.
import net from 'node:net'
import { ApiKey, decodeRequest, encodeResponse } from '../../src/kafka/protocol/index.ts'
import type { RequestHeader } from '../../src/kafka/protocol/index.ts'

/** The client connection a request came on: numbered from 1 in accept order. */
export interface FakeConnection {
  id: number
  destroy(): void
}

export type Handler = (
  header: RequestHeader,
  body: Record<string, unknown>,
  reply: (body: object, correlationId?: number) => void,
  connection: FakeConnection,
) => void

export interface FakeBroker {
  port: number
  requests: RequestHeader[]
  close(): Promise<void>
}

/** ApiVersions answered with every version range in `versions`; everything else goes to `handler`. */
export async function startFakeBroker(
  versions: Record<number, [number, number]>,
  handler: Handler,
): Promise<FakeBroker> {
  const requests: RequestHeader[] = []
  const sockets = new Set<net.Socket>()
  let accepted = 0
  const server = net.createServer((socket) => {
    sockets.add(socket)
    const connection: FakeConnection = { id: ++accepted, destroy: () => socket.destroy() }
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    let buffered = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      while (buffered.length >= 4) {
        const size = buffered.readInt32BE(0)
        if (buffered.length < 4 + size) break
        const frame = buffered.subarray(4, 4 + size)
        buffered = buffered.subarray(4 + size)
        const { header, body } = decodeRequest(new Uint8Array(frame))
        requests.push(header)
        const reply = (b: object, correlationId = header.correlationId) => {
          if (!socket.destroyed)
            socket.write(encodeResponse(header.apiKey, header.apiVersion, correlationId, b as never))
        }
        if (header.apiKey === ApiKey.ApiVersions) {
          reply({
            errorCode: 0,
            apiKeys: Object.entries(versions).map(([k, [min, max]]) => ({
              apiKey: Number(k),
              minVersion: min,
              maxVersion: max,
            })),
            throttleTimeMs: 0,
          })
        } else {
          handler(header, body, reply, connection)
        }
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

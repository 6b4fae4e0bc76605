// Test support: a bare socket speaking Kafka frames through the protocol codec alone — no
// connection layer — so the integration tests prove the codec against the real broker by itself.

import { connect, type Socket } from 'node:net'
import {
  decodeResponse,
  encodeRequest,
  readCorrelationId,
  type ResponseOf,
} from '../../../src/kafka/protocol/index.ts'

export class WireClient {
  private readonly socket: Socket
  private pending = new Map<number, (frame: Uint8Array) => void>()
  private buffered: Buffer = Buffer.alloc(0)
  private nextCorrelationId = 1
  private failure: Error | null = null

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    const fail = (e: Error): void => {
      this.failure = e
      for (const resolve of this.pending.values()) resolve(new Uint8Array(0))
      this.pending.clear()
    }
    socket.on('error', fail)
    socket.on('close', () => fail(new Error('broker closed the connection')))
  }

  static async open(hostPort: string): Promise<WireClient> {
    const at = hostPort.lastIndexOf(':')
    const socket = connect(Number(hostPort.slice(at + 1)), hostPort.slice(0, at))
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new WireClient(socket)
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0)
      if (this.buffered.length < 4 + size) return
      const frame = new Uint8Array(this.buffered.subarray(4, 4 + size))
      this.buffered = this.buffered.subarray(4 + size)
      const id = readCorrelationId(frame)
      const resolve = this.pending.get(id)
      this.pending.delete(id)
      resolve?.(frame)
    }
  }

  /** Sends one request and decodes its response with the same api version. */
  async call<K extends number>(apiKey: K, apiVersion: number, body: object): Promise<ResponseOf<K>> {
    if (this.failure) throw this.failure
    const correlationId = this.nextCorrelationId++
    const frame = encodeRequest(
      { apiKey, apiVersion, correlationId, clientId: 'conduit-protocol-test' },
      body as never,
    )
    const answer = new Promise<Uint8Array>((resolve) => this.pending.set(correlationId, resolve))
    this.socket.write(frame)
    const response = await answer
    if (this.failure) throw this.failure
    const decoded = decodeResponse(apiKey, apiVersion, response)
    if (decoded.correlationId !== correlationId)
      throw new Error(`correlation id ${decoded.correlationId} != ${correlationId}`)
    return decoded.body
  }

  close(): void {
    this.socket.destroy()
  }
}

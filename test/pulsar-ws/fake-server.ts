// A scripted stand-in for Pulsar's WebSocket service on an ephemeral loopback port, for tests of
// behaviour the real broker cannot be made to show on demand: answers out of order, send errors,
// a refused handshake with a chosen HTTP status, a socket dropped mid-stream.
import { createServer } from 'node:http'
import type { IncomingMessage, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import type { WebSocket } from 'ws'

export interface FakeSession {
  path: string
  headers: IncomingMessage['headers']
  socket: WebSocket
  /** Text frames the client sent, parsed. */
  received: Record<string, unknown>[]
  send(frame: unknown): void
}

export interface FakeServer {
  url: string
  sessions: FakeSession[]
  /** Answer the next handshakes with this HTTP status and body instead of upgrading (null: upgrade). */
  refuse(status: number | null, body?: string): void
  /** Called for every text frame of every session. */
  onFrame: ((session: FakeSession, frame: Record<string, unknown>) => void) | undefined
  /** Resolves with the next session that opens. */
  nextSession(): Promise<FakeSession>
  /** Waits until `predicate` holds (checked on every frame), failing after `ms`. */
  waitFor(predicate: () => boolean, ms?: number): Promise<void>
  close(): Promise<void>
}

export async function startFakeServer(): Promise<FakeServer> {
  const http: Server = createServer()
  const wss = new WebSocketServer({ noServer: true })
  let refusal: { status: number; body: string } | null = null
  const sessionWaiters: ((s: FakeSession) => void)[] = []
  const frameWaiters = new Set<() => void>()
  const server: FakeServer = {
    url: '',
    sessions: [],
    refuse(status, body = '<html><head><title>Error refused</title></head></html>') {
      refusal = status === null ? null : { status, body }
    },
    onFrame: undefined,
    nextSession() {
      return new Promise((resolve) => sessionWaiters.push(resolve))
    },
    waitFor(predicate, ms = 5000) {
      if (predicate()) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          frameWaiters.delete(check)
          reject(new Error(`fake server: condition not reached within ${ms} ms`))
        }, ms)
        const check = (): void => {
          if (!predicate()) return
          clearTimeout(timer)
          frameWaiters.delete(check)
          resolve()
        }
        frameWaiters.add(check)
      })
    },
    async close() {
      for (const client of wss.clients) client.terminate()
      wss.close()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
  http.on('upgrade', (req, socket, head) => {
    if (refusal) {
      const { status, body } = refusal
      socket.end(
        `HTTP/1.1 ${status} Refused\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      )
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session: FakeSession = {
        path: req.url ?? '',
        headers: req.headers,
        socket: ws,
        received: [],
        send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
      }
      server.sessions.push(session)
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as Record<string, unknown>
        session.received.push(frame)
        server.onFrame?.(session, frame)
        for (const check of [...frameWaiters]) check()
      })
      sessionWaiters.shift()?.(session)
      for (const check of [...frameWaiters]) check()
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  server.url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`
  return server
}

/** A base64 MessageIdData for (ledger, entry[, partition]). */
export function wsId(ledger: number, entry: number, partition = -1, batchIndex = -1): string {
  // field 1 ledgerId, 2 entryId, 3 partition (int32), 4 batch_index — varints, negative as 10 bytes
  const varint = (value: bigint): number[] => {
    let v = BigInt.asUintN(64, value)
    const out: number[] = []
    do {
      let b = Number(v & 0x7fn)
      v >>= 7n
      if (v > 0n) b |= 0x80
      out.push(b)
    } while (v > 0n)
    return out
  }
  const bytes = [
    0x08,
    ...varint(BigInt(ledger)),
    0x10,
    ...varint(BigInt(entry)),
    0x18,
    ...varint(BigInt(partition)),
    0x20,
    ...varint(BigInt(batchIndex)),
  ]
  return Buffer.from(bytes).toString('base64')
}

/** A consumer frame as the server sends it. */
export function delivered(
  id: string,
  payload: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    messageId: id,
    payload: Buffer.from(payload).toString('base64'),
    properties: {},
    publishTime: '2026-01-02T03:04:05.678Z',
    redeliveryCount: 0,
    ...extra,
  }
}

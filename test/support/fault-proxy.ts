// A TCP proxy between a client and a broker that injects faults on command, for tests that prove
// no acknowledged message is lost: cut every connection, refuse new ones, add latency, throttle
// bandwidth, black-hole traffic (connections stay open, nothing gets through), corrupt or truncate
// the next chunk in one direction.
//
// "up" is client → broker, "down" is broker → client. A "chunk" is what one socket read returned;
// the proxy does not parse any protocol. Order within a direction is always kept.
import { createServer, connect, type Socket } from 'node:net'

export type Direction = 'up' | 'down'

export interface FaultProxyOptions {
  targetHost: string
  targetPort: number
  /** Default: a free port chosen by the OS. */
  listenPort?: number
  listenHost?: string
}

export interface FaultProxy {
  host: string
  port: number
  /** Closes every open connection, on both sides. */
  cutAll(): void
  /** While on, new connections are closed as soon as they are accepted. */
  refuseNew(on: boolean): void
  /** Delay added to every chunk, in each direction. 0 turns it off. */
  latency(ms: number): void
  /** Bandwidth cap per connection and direction; null removes it. */
  throttle(bytesPerSec: number | null): void
  /** While on, bytes in both directions are discarded; connections stay open. */
  blackhole(on: boolean): void
  /**
   * Flips every bit of one byte of the next chunk in that direction: by default the middle one
   * (anything from a length to an error code to record bytes); `'first'` hits the first byte, which
   * on request/response traffic is the high byte of a frame's length prefix — a corruption the
   * receiver can always detect (the length then exceeds any bound), unlike a flipped error code.
   */
  corruptNext(direction: Direction, where?: 'middle' | 'first'): void
  /** Forwards only the first half of the next chunk in that direction, then closes that connection. */
  truncateNext(direction: Direction): void
  /** Connections currently open through the proxy. */
  connections(): number
  close(): Promise<void>
}

interface Pair {
  client: Socket
  upstream: Socket
  closed: boolean
}

interface Settings {
  refuse: boolean
  latencyMs: number
  bytesPerSec: number | null
  blackhole: boolean
  corrupt: Record<Direction, 'middle' | 'first' | null>
  truncate: Record<Direction, boolean>
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const settings: Settings = {
    refuse: false,
    latencyMs: 0,
    bytesPerSec: null,
    blackhole: false,
    corrupt: { up: null, down: null },
    truncate: { up: false, down: false },
  }
  const pairs = new Set<Pair>()

  // Sockets are destroyed (FIN), not reset: Node's resetAndDestroy() can leave a handle whose
  // close never completes, and the process then spins at exit. Either way the peer sees the
  // connection end with whatever was in flight lost.
  const closePair = (pair: Pair): void => {
    if (pair.closed) return
    pair.closed = true
    pairs.delete(pair)
    pair.client.destroy()
    pair.upstream.destroy()
  }

  const server = createServer({ noDelay: true }, (client) => {
    client.on('error', () => {})
    if (settings.refuse) {
      client.destroy()
      return
    }
    const upstream = connect({ host: options.targetHost, port: options.targetPort, noDelay: true })
    upstream.on('error', () => {})
    const pair: Pair = { client, upstream, closed: false }
    pairs.add(pair)
    pipe(pair, 'up', client, upstream)
    pipe(pair, 'down', upstream, client)
    client.on('close', () => closePair(pair))
    upstream.on('close', () => closePair(pair))
  })

  /** Moves chunks from one side to the other through the fault settings, one at a time, in order. */
  function pipe(pair: Pair, direction: Direction, from: Socket, to: Socket): void {
    const queue: { data: Buffer; arrived: number }[] = []
    let pumping = false
    let ended = false

    const pump = async (): Promise<void> => {
      if (pumping) return
      pumping = true
      try {
        while (queue.length && !pair.closed) {
          const next = queue.shift()!
          let chunk = next.data
          // Latency is counted from arrival, so queued chunks do not add up their delays.
          const wait = next.arrived + settings.latencyMs - Date.now()
          if (wait > 0) await sleep(wait)
          if (pair.closed) return
          if (settings.blackhole) continue
          const corrupt = settings.corrupt[direction]
          if (corrupt) {
            settings.corrupt[direction] = null
            chunk = Buffer.from(chunk)
            const at = corrupt === 'first' ? 0 : chunk.length >> 1
            chunk[at] = chunk[at]! ^ 0xff
          }
          if (settings.truncate[direction]) {
            settings.truncate[direction] = false
            const half = chunk.subarray(0, Math.max(1, chunk.length >> 1))
            to.write(half, () => closePair(pair))
            return
          }
          await writeThrottled(to, chunk)
        }
        if (ended && !pair.closed) to.end()
      } finally {
        pumping = false
        if (!pair.closed && queue.length === 0 && from.isPaused()) from.resume()
      }
    }

    const writeThrottled = async (socket: Socket, chunk: Buffer): Promise<void> => {
      let offset = 0
      while (offset < chunk.length && !pair.closed) {
        const rate = settings.bytesPerSec
        // Under a cap, send slices of a tenth of a second's worth and wait as long as they "take".
        const size = rate
          ? Math.max(1, Math.min(chunk.length - offset, Math.floor(rate / 10)))
          : chunk.length - offset
        const slice = chunk.subarray(offset, offset + size)
        offset += size
        const drained = socket.write(slice)
        if (rate) await sleep((size / rate) * 1000)
        if (!drained && !pair.closed)
          await new Promise<void>((resolve) => socket.once('drain', resolve).once('close', resolve))
      }
    }

    from.on('data', (chunk: Buffer) => {
      queue.push({ data: chunk, arrived: Date.now() })
      // Backpressure: stop reading while chunks wait (latency, throttle, slow peer).
      if (queue.length > 16) from.pause()
      void pump()
    })
    from.on('end', () => {
      ended = true
      void pump()
    })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: options.listenHost ?? '127.0.0.1', port: options.listenPort ?? 0 }, () => resolve())
  })
  const address = server.address()
  if (typeof address !== 'object' || address === null) throw new Error('fault proxy: no listening address')

  return {
    host: address.address,
    port: address.port,
    cutAll() {
      for (const pair of [...pairs]) closePair(pair)
    },
    refuseNew(on) {
      settings.refuse = on
    },
    latency(ms) {
      if (!(ms >= 0)) throw new RangeError(`latency must be >= 0 ms, got ${ms}`)
      settings.latencyMs = ms
    },
    throttle(bytesPerSec) {
      if (bytesPerSec !== null && !(bytesPerSec > 0))
        throw new RangeError(`throttle must be > 0 bytes/s or null, got ${bytesPerSec}`)
      settings.bytesPerSec = bytesPerSec
    },
    blackhole(on) {
      settings.blackhole = on
    },
    corruptNext(direction, where = 'middle') {
      settings.corrupt[direction] = where
    },
    truncateNext(direction) {
      settings.truncate[direction] = true
    },
    connections() {
      return pairs.size
    },
    close() {
      for (const pair of [...pairs]) closePair(pair)
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

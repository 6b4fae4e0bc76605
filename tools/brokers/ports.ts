// Free loopback ports, chosen at start. A port is free when we can bind it; ports handed out by
// this process are remembered so two brokers started in parallel never get the same one.
import { createServer } from 'node:net'

const handedOut = new Set<number>()

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * A free port `p` such that every `p + offset` is free too (RocketMQ's broker also binds
 * listenPort - 2 and listenPort + 1).
 */
export async function freePort(neighbourOffsets: number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await ephemeralPort()
    const wanted = [port, ...neighbourOffsets.map((offset) => port + offset)]
    if (wanted.some((p) => p < 1024 || p > 65535 || handedOut.has(p))) continue
    const free = await Promise.all(wanted.filter((p) => p !== port).map(canBind))
    if (free.every(Boolean)) {
      for (const p of wanted) handedOut.add(p)
      return port
    }
  }
  throw new Error('no free loopback port found after 200 attempts')
}

export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = []
  for (let i = 0; i < count; i++) ports.push(await freePort())
  return ports
}

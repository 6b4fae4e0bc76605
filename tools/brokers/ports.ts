// Free loopback ports, chosen at start. A port is free when we can bind it; ports handed out by
// this process are remembered so two brokers started in parallel never get the same one. They are
// drawn from outside the kernel's ephemeral range (see listenRange), and a broker that still loses
// a port to another process before binding it is started again on new ones (instance.ts).
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

const handedOut = new Set<number>()

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/**
 * The range candidates are drawn from: below the kernel's ephemeral range. A port picked inside
 * that range can be taken, between the check and the broker's bind, as the local port of any
 * outgoing connection on the machine (a RocketMQ broker once failed to start in CI that way:
 * "Address already in use" on a port found free moments before).
 */
export function listenRange(): [number, number] {
  return (range ??= readListenRange())
}

let range: [number, number] | undefined

function readListenRange(): [number, number] {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number)
    if (low !== undefined && Number.isInteger(low) && low > 12_000) return [10_000, low - 1]
  } catch {
    // Not Linux: the IANA dynamic range starts at 49152.
  }
  return [20_000, 49_151]
}

function candidatePort(): number {
  const [low, high] = listenRange()
  return low + Math.floor(Math.random() * (high - low + 1))
}

/**
 * A free port `p` such that every `p + offset` is free too (RocketMQ's broker also binds
 * listenPort - 2 and listenPort + 1).
 */
export async function freePort(neighbourOffsets: number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = candidatePort()
    const wanted = [port, ...neighbourOffsets.map((offset) => port + offset)]
    if (wanted.some((p) => p < 1024 || p > 65535 || handedOut.has(p))) continue
    const free = await Promise.all(wanted.map(canBind))
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

// The two message ids RocketMQ uses.
//
// Offset id (MessageDecoder.createMessageId): hex of store host address (4 or 16 bytes), store
// port (int32) and commit-log offset (int64) — 32 hex characters for IPv4, 56 for IPv6. It names
// a message's physical place; VIEW_MESSAGE_BY_ID and CONSUMER_SEND_MSG_BACK use the offset in it.
//
// Client unique key (MessageClientIDSetter, property UNIQ_KEY): hex of client IP (4 bytes), pid
// (int16), a per-process random int32, milliseconds since the start of the month (int32) and a
// counter (int16) — 32 hex characters. The Java client shows it as the message id.

import { networkInterfaces } from 'node:os'
import { randomBytes } from 'node:crypto'
import { ProtocolError } from '../../core/errors.ts'

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase()
}

export function createOffsetMessageId(address: Uint8Array, port: number, commitLogOffset: number): string {
  if (address.length !== 4 && address.length !== 16) {
    throw new ProtocolError(`store host address of ${address.length} bytes is neither IPv4 nor IPv6`)
  }
  const out = Buffer.allocUnsafe(address.length + 12)
  out.set(address, 0)
  out.writeInt32BE(port, address.length)
  out.writeBigInt64BE(BigInt(commitLogOffset), address.length + 4)
  return toHex(out)
}

export interface OffsetMessageId {
  address: Uint8Array
  port: number
  commitLogOffset: number
}

export function decodeOffsetMessageId(id: string): OffsetMessageId {
  if ((id.length !== 32 && id.length !== 56) || !/^[0-9a-fA-F]+$/.test(id)) {
    throw new ProtocolError(`"${id}" is not a RocketMQ offset message id (32 or 56 hex characters)`)
  }
  const bytes = Buffer.from(id, 'hex')
  const ipLength = id.length === 32 ? 4 : 16
  return {
    address: new Uint8Array(bytes.subarray(0, ipLength)),
    port: bytes.readInt32BE(ipLength),
    commitLogOffset: Number(bytes.readBigInt64BE(ipLength + 4)),
  }
}

function localIPv4(): Uint8Array {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal) return Uint8Array.from(a.address.split('.').map(Number))
    }
  }
  // No external interface (loopback-only hosts): Java falls back to a fake address likewise.
  return Uint8Array.from(randomBytes(4))
}

function monthStart(now: number): { start: number; next: number } {
  const d = new Date(now)
  const start = new Date(d.getFullYear(), d.getMonth(), 1).getTime()
  const next = new Date(d.getFullYear(), d.getMonth() + 1, 1).getTime()
  return { start, next }
}

/** Generates client unique keys; one instance per process is enough. */
export class UniqueKeyGenerator {
  private readonly fixed: string
  private counter = 0
  private start = 0
  private next = 0

  constructor(
    ip: Uint8Array = localIPv4(),
    pid: number = process.pid,
    salt: number = randomBytes(4).readInt32BE(0),
  ) {
    const fixed = Buffer.allocUnsafe(ip.length + 6)
    fixed.set(ip, 0)
    fixed.writeUInt16BE(pid & 0xffff, ip.length)
    fixed.writeInt32BE(salt, ip.length + 2)
    this.fixed = toHex(fixed)
  }

  create(now: number = Date.now()): string {
    if (now >= this.next) ({ start: this.start, next: this.next } = monthStart(now))
    const tail = Buffer.allocUnsafe(6)
    tail.writeUInt32BE((now - this.start) >>> 0, 0)
    tail.writeUInt16BE(this.counter, 4)
    this.counter = (this.counter + 1) & 0xffff
    return this.fixed + toHex(tail)
  }
}

export const uniqueKeys = new UniqueKeyGenerator()

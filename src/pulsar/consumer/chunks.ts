// Reassembly of chunked messages (a message larger than the broker's max message size, split by the
// producer into chunks that share a uuid). Chunks of several messages may interleave (several
// producers, or a resend), so incomplete messages are kept side by side — which costs memory up
// to the whole message each. The bounds follow the Java client:
//
// - at most `maxPendingChunkedMessage` (10) incomplete messages per partition consumer: the oldest is
//   dropped to make room, acknowledged only if `autoAckOldestChunkedMessageOnQueueFull` (false by
//   default: its chunks stay unacknowledged and come back when the broker redelivers — after an ack
//   timeout, a nack of the partition, or a reconnect);
// - an incomplete message whose first chunk is older than `expireTimeOfIncompleteChunkedMessageMs`
//   (60 s; 0 = never) is dropped and acknowledged, as the Java client does: its producer gave up or
//   died, and its remaining chunks will not come.
//
// A chunk that does not continue a message in progress (its earlier chunks were dropped) is
// dropped unacknowledged. Nothing is dropped silently: every drop is published on the
// `conduit:pulsar:chunk:dropped` diagnostics channel.

import dc from 'node:diagnostics_channel'
import { ConfigError, ProtocolError } from '../../core/errors.ts'
import type { TypedChannel } from '../../core/diagnostics.ts'
import type { MessageMetadata } from '../protocol/generated/pulsar-api_pb.ts'
import type { MessageId } from '../protocol/message-id.ts'

export interface ChunkingOptions {
  /** Incomplete chunked messages kept per partition. Default 10. */
  maxPendingChunkedMessage?: number
  /** Drop (and acknowledge) an incomplete chunked message this long after its first chunk. Default 60 000 ms; 0 never. */
  expireTimeOfIncompleteChunkedMessageMs?: number
  /** When the pending limit is hit, acknowledge the oldest incomplete message instead of leaving it for redelivery. Default false. */
  autoAckOldestChunkedMessageOnQueueFull?: boolean
}

export type ChunkDropReason = 'queue-full' | 'expired' | 'out-of-order'

/** One incomplete chunked message (or stray chunk) that was dropped. */
export interface ChunkDrop {
  reason: ChunkDropReason
  uuid: string
  /** Ids of the chunks received for it (all acknowledged, or none, as `acknowledge` says). */
  ids: MessageId[]
  /** How many chunks the message has in all. */
  totalChunks: number
  /** Whether its chunks are acknowledged (true) or left for redelivery (false). */
  acknowledge: boolean
}

/** `conduit:pulsar:chunk:dropped` — an incomplete chunked message was dropped. */
export interface ChunkDroppedEvent extends ChunkDrop {
  driver: 'pulsar'
  topic: string
  partition: number
  subscription: string
}

export const chunkDropped = dc.channel(
  'conduit:pulsar:chunk:dropped',
) as unknown as TypedChannel<ChunkDroppedEvent>

export interface WholeMessage {
  payload: Uint8Array
  md: MessageMetadata
  ids: MessageId[]
}

interface Pending {
  parts: Uint8Array[]
  ids: MessageId[]
  size: number
  total: number
  md: MessageMetadata
  createdAt: number
}

export const DEFAULT_MAX_PENDING_CHUNKED_MESSAGE = 10
export const DEFAULT_EXPIRE_INCOMPLETE_CHUNKED_MS = 60_000

/** Collects the chunks of chunked messages until each is complete. Bounded in count, size and time. */
export class ChunkAssembler {
  readonly #pending = new Map<string, Pending>()
  readonly #maxPending: number
  readonly #expireMs: number
  readonly #autoAckOldest: boolean
  readonly #onDrop: (drop: ChunkDrop) => void
  #timer: ReturnType<typeof setInterval> | undefined

  constructor(opts: ChunkingOptions, onDrop: (drop: ChunkDrop) => void) {
    const max = opts.maxPendingChunkedMessage ?? DEFAULT_MAX_PENDING_CHUNKED_MESSAGE
    if (!Number.isInteger(max) || max < 1)
      throw new ConfigError('maxPendingChunkedMessage must be an integer >= 1')
    const expire = opts.expireTimeOfIncompleteChunkedMessageMs ?? DEFAULT_EXPIRE_INCOMPLETE_CHUNKED_MS
    if (!Number.isFinite(expire) || expire < 0)
      throw new ConfigError('expireTimeOfIncompleteChunkedMessageMs must be >= 0')
    this.#maxPending = max
    this.#expireMs = expire
    this.#autoAckOldest = opts.autoAckOldestChunkedMessageOnQueueFull ?? false
    this.#onDrop = onDrop
  }

  /** Incomplete messages held now. */
  get pending(): number {
    return this.#pending.size
  }

  /**
   * Adds one chunk; returns the whole message's payload, metadata and chunk ids when this was the
   * last chunk, else undefined. A chunk that announces a size above `maxTotal`, or chunks that add
   * up to more than announced, are a ProtocolError.
   */
  add(md: MessageMetadata, id: MessageId, payload: Uint8Array, maxTotal: number): WholeMessage | undefined {
    const uuid = md.uuid
    let entry = this.#pending.get(uuid)
    if (md.chunkId === 0) {
      if (md.totalChunkMsgSize < 0 || md.totalChunkMsgSize > maxTotal)
        throw new ProtocolError(`chunked message size ${md.totalChunkMsgSize} exceeds ${maxTotal}`)
      if (entry) {
        // The first chunk again (a redelivery of a message in progress): start over with it.
        this.#pending.delete(uuid)
        this.#drop('out-of-order', uuid, entry, false)
      }
      while (this.#pending.size >= this.#maxPending) {
        const [oldUuid, oldest] = this.#pending.entries().next().value!
        this.#pending.delete(oldUuid)
        this.#drop('queue-full', oldUuid, oldest, this.#autoAckOldest)
      }
      entry = { parts: [], ids: [], size: 0, total: md.totalChunkMsgSize, md, createdAt: Date.now() }
      this.#pending.set(uuid, entry)
      this.#arm()
    }
    if (!entry || entry.ids.length !== md.chunkId) {
      // Its earlier chunks were dropped (or lost): neither this chunk nor the rest can complete.
      if (entry) {
        this.#pending.delete(uuid)
        entry.ids.push(id)
        this.#drop('out-of-order', uuid, entry, false)
      } else {
        this.#onDrop({
          reason: 'out-of-order',
          uuid,
          ids: [id],
          totalChunks: md.numChunksFromMsg,
          acknowledge: false,
        })
      }
      return undefined
    }
    entry.parts.push(payload.slice())
    entry.ids.push(id)
    entry.size += payload.length
    if (entry.size > entry.total) {
      this.#pending.delete(uuid)
      throw new ProtocolError(`chunks of ${uuid} exceed the announced ${entry.total} bytes`)
    }
    if (md.chunkId < md.numChunksFromMsg - 1) return undefined
    this.#pending.delete(uuid)
    const whole = new Uint8Array(entry.size)
    let o = 0
    for (const p of entry.parts) {
      whole.set(p, o)
      o += p.length
    }
    return { payload: whole, md: entry.md, ids: entry.ids }
  }

  /** Drops (and reports) every incomplete message older than the expiry time. */
  expire(now = Date.now()): void {
    if (this.#expireMs === 0) return
    for (const [uuid, entry] of this.#pending) {
      // Insertion order is arrival order of first chunks: the first young one ends the scan.
      if (now - entry.createdAt < this.#expireMs) break
      this.#pending.delete(uuid)
      this.#drop('expired', uuid, entry, true)
    }
    if (this.#pending.size === 0) this.#disarm()
  }

  /**
   * Forgets every incomplete message without reporting it: after a reconnect the broker redelivers
   * all unacknowledged chunks, and on close nothing more is consumed.
   */
  clear(): void {
    this.#pending.clear()
    this.#disarm()
  }

  #drop(reason: ChunkDropReason, uuid: string, entry: Pending, acknowledge: boolean): void {
    this.#onDrop({ reason, uuid, ids: entry.ids, totalChunks: entry.md.numChunksFromMsg, acknowledge })
  }

  /** The expiry check runs on a timer only while something is pending (and never holds the process). */
  #arm(): void {
    if (this.#timer !== undefined || this.#expireMs === 0) return
    const every = Math.min(1000, Math.max(10, Math.floor(this.#expireMs / 4)))
    this.#timer = setInterval(() => this.expire(), every)
    this.#timer.unref()
  }

  #disarm(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}

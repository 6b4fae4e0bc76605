// What the durable log knows about its own damage: each range of a segment file that failed its
// checks, the offsets it held, and whether it was cut (a torn tail) or kept in place. Every range is
// reported once on `conduit:storage:damage` when found — on open or by a read — and listed by
// describeTopic, so that no data ever disappears without a trace.

import { CorruptDataError } from '../../core/errors.ts'
import { channels, publish } from '../../core/diagnostics.ts'
import type { StorageDamageEvent } from '../../core/diagnostics.ts'

export interface DamagedRange {
  /** `truncated`: a torn tail cut on open; `damaged`: bytes kept in place that reads stop at. */
  readonly kind: 'truncated' | 'damaged'
  readonly file: string
  /** First offset the range held. */
  readonly from: number
  /** The offset after the last one it held; null for a cut tail, whose extent is unknown. */
  readonly to: number | null
  /** Byte position of the range in `file`, and its length. */
  readonly position: number
  readonly bytes: number
  readonly reason: string
}

/** Where a segment reports what it found: the partition's log (log.ts) records and publishes it. */
export type DamageSink = (range: DamagedRange) => void

/** Publishes a damage event; events are rare, so the payload is built whenever someone listens. */
export function reportDamage(event: StorageDamageEvent): void {
  publish(channels.storageDamage, () => event)
}

/** The error a read of a damaged range raises (the consumer skips it or hands it to the application). */
export function damagedRangeError(range: DamagedRange, topic: string, partition: number): CorruptDataError {
  const to = range.to ?? range.from
  return new CorruptDataError(
    `${topic}/${partition}: ${to - range.from === 1 ? `offset ${range.from} is` : `offsets ${range.from} to ${to - 1} are`} damaged in ${range.file} ` +
      `(${range.bytes} bytes at byte ${range.position}: ${range.reason})`,
    {
      path: range.file,
      hint:
        `consume with skipDamaged: true (CLI: conduit consume --skip-damaged) to skip them, ` +
        `or seek to ${topic}:${partition}:${to}; restore the file from a backup to get them back`,
      range: { topic, partition, from: range.from, to },
    },
  )
}

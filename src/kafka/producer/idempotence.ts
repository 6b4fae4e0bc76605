// Idempotent producer state (KIP-98, KIP-360). The broker de-duplicates by (producerId, epoch,
// partition, sequence): each batch gets the partition's next sequence the first time it is sent
// and keeps it on every retry, so a retry of a batch the broker already wrote is dropped instead
// of written twice.
//
// When the broker has lost track of us (UNKNOWN_PRODUCER_ID) or refuses the oldest unacknowledged
// batch as out of order (OUT_OF_ORDER_SEQUENCE_NUMBER: its state moved on without that batch),
// the producer gets a new id or epoch with InitProducerId and every sequence restarts at 0;
// batches not yet acknowledged are re-sequenced and re-encoded.

import type { ProducerBatch } from './accumulator.ts'

export const IdempotenceErrors = {
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  UNKNOWN_PRODUCER_ID: 59,
  PRODUCER_FENCED: 90,
} as const

const MAX_SEQUENCE = 0x7fffffff

export class IdempotenceState {
  producerId = -1n
  producerEpoch = -1
  readonly #nextSequence = new Map<string, number>()
  /** Partitions (topic → partition numbers) that acknowledged a batch of this id and epoch. */
  readonly #known = new Map<string, Set<number>>()

  get initialized(): boolean {
    return this.producerId >= 0n
  }

  /** Gives a batch its sequence on first send; a retry keeps the one it has. */
  sequence(batch: ProducerBatch): void {
    if (
      batch.baseSequence >= 0 &&
      batch.producerEpoch === this.producerEpoch &&
      batch.producerId === this.producerId
    ) {
      return
    }
    const k = `${batch.topic}\0${batch.partition}`
    const next = this.#nextSequence.get(k) ?? 0
    batch.baseSequence = next
    batch.producerId = this.producerId
    batch.producerEpoch = this.producerEpoch
    batch.encoded = undefined
    // Sequences wrap to 0 after int32 max, as the broker expects.
    this.#nextSequence.set(k, (next + batch.records.length) % (MAX_SEQUENCE + 1))
  }

  /**
   * Whether the broker has state for this producer on the partition, so it refuses a sequence gap.
   * Until then it accepts any first sequence: a batch pipelined behind the partition's first one
   * would be written if the first one came back with a retriable error (NOT_LEADER right after the
   * topic was created), and the first one would then be refused, re-sequenced and written after
   * it. So a partition's first batch under an id and epoch is sent alone.
   */
  knownTo(topic: string, partition: number): boolean {
    return this.#known.get(topic)?.has(partition) ?? false
  }

  /** The broker acknowledged a batch: it now has state for us on that partition. */
  acknowledged(batch: ProducerBatch): void {
    if (batch.producerId !== this.producerId || batch.producerEpoch !== this.producerEpoch) return
    let partitions = this.#known.get(batch.topic)
    if (!partitions) this.#known.set(batch.topic, (partitions = new Set()))
    partitions.add(batch.partition)
  }

  /**
   * A batch failed for good and was certainly not written (the broker refused it, e.g. too
   * large): the batches behind it move down by its record count, so the partition's sequence has
   * no gap and no epoch bump is needed. None of them may be in flight.
   */
  closeGap(failed: ProducerBatch, behind: readonly ProducerBatch[]): void {
    if (failed.baseSequence < 0 || failed.producerEpoch !== this.producerEpoch) return
    if (failed.producerId !== this.producerId) return
    const n = failed.records.length
    const shift = (seq: number) => (seq - n + MAX_SEQUENCE + 1) % (MAX_SEQUENCE + 1)
    for (const b of behind) {
      if (b.baseSequence < 0 || b.producerEpoch !== this.producerEpoch) continue
      b.baseSequence = shift(b.baseSequence)
      b.encoded = undefined
    }
    const k = `${failed.topic}\0${failed.partition}`
    const next = this.#nextSequence.get(k)
    if (next !== undefined) this.#nextSequence.set(k, shift(next))
  }

  /** Whether the error means the producer must bump its epoch and re-sequence. */
  static needsEpochBump(errorCode: number): boolean {
    return (
      errorCode === IdempotenceErrors.OUT_OF_ORDER_SEQUENCE_NUMBER ||
      errorCode === IdempotenceErrors.UNKNOWN_PRODUCER_ID ||
      errorCode === IdempotenceErrors.INVALID_PRODUCER_EPOCH
    )
  }

  /**
   * New id/epoch from InitProducerId: sequences restart at 0 and unacknowledged batches get new
   * ones in their queue order when they are next sent.
   */
  reset(producerId: bigint, producerEpoch: number, pending: Iterable<ProducerBatch>): void {
    this.producerId = producerId
    this.producerEpoch = producerEpoch
    this.#nextSequence.clear()
    this.#known.clear()
    for (const b of pending) {
      b.baseSequence = -1
      b.encoded = undefined
      b.mayBeInLog = false
      b.knownWritten = false
    }
  }
}

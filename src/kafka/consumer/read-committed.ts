// read_committed filtering. The broker returns data only up to the last stable offset, but that
// data still contains records of aborted transactions and control batches (commit/abort
// markers). The fetch response lists, per partition, the aborted transactions overlapping the
// returned range as (producerId, firstOffset). Walking batches in offset order:
//
//   - an aborted transaction becomes "active" once a batch reaches its first offset;
//   - a transactional batch from a producer with an active aborted transaction is dropped;
//   - that producer's ABORT control batch ends it (later transactions of the producer are fine);
//   - control batches themselves are never delivered.

export interface AbortedTransaction {
  producerId: bigint
  firstOffset: bigint
}

export interface BatchView {
  baseOffset: bigint
  producerId: bigint
  isTransactional: boolean
  isControl: boolean
  /** For control batches: true when the marker is an ABORT (control record type 0). */
  isAbortMarker?: boolean
}

export class AbortedTransactionFilter {
  readonly #upcoming: AbortedTransaction[]
  readonly #active = new Set<bigint>()

  constructor(aborted: readonly AbortedTransaction[] | null | undefined) {
    this.#upcoming = [...(aborted ?? [])].sort((a, b) =>
      a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
    )
  }

  /** Whether the records of `batch` are delivered (false for aborted data and all control batches). */
  keep(batch: BatchView): boolean {
    while (this.#upcoming.length > 0 && this.#upcoming[0]!.firstOffset <= batch.baseOffset) {
      this.#active.add(this.#upcoming.shift()!.producerId)
    }
    if (batch.isControl) {
      if (batch.isAbortMarker !== false) this.#active.delete(batch.producerId)
      return false
    }
    return !(batch.isTransactional && this.#active.has(batch.producerId))
  }
}

/** The control record key is `version int16, type int16`; type 0 is ABORT, 1 is COMMIT. */
export function isAbortControlKey(key: Uint8Array | null): boolean {
  if (!key || key.length < 4) return true
  return ((key[2]! << 8) | key[3]!) === 0
}

// Incremental fetch sessions (KIP-227), one per broker connection used for fetching.
//
// The first fetch is a full one (session id 0, epoch 0) listing every partition; the broker
// answers with a session id. Later fetches (epoch 1, 2, …) list only partitions that are new or
// whose fetch position changed, plus `forgotten` partitions the client no longer wants, and the
// broker answers only for partitions that have data or an error. That keeps a fetch for hundreds
// of partitions from re-sending them all every few milliseconds.
//
// Any session error (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH, …), a failed request
// or a new connection resets to a full fetch. A broker that answers a full fetch with session id
// 0 has no room for a session; the client then keeps sending full fetches.

export interface FetchPartitionRequest {
  topic: string
  topicId: Uint8Array
  partition: number
  fetchOffset: bigint
  currentLeaderEpoch: number
  partitionMaxBytes: number
}

export interface FetchSessionRequest {
  sessionId: number
  sessionEpoch: number
  /** Partitions to send in this request. */
  partitions: FetchPartitionRequest[]
  /** Partitions the session should stop tracking. */
  forgotten: { topic: string; topicId: Uint8Array; partition: number }[]
  full: boolean
}

export const FetchSessionErrors = {
  FETCH_SESSION_ID_NOT_FOUND: 70,
  INVALID_FETCH_SESSION_EPOCH: 71,
  FETCH_SESSION_TOPIC_ID_ERROR: 106,
} as const

const key = (topic: string, partition: number) => `${topic}\0${partition}`

export class FetchSession {
  #sessionId = 0
  #epoch = 0
  /** What the broker's session holds for each partition (as of the last successful fetch). */
  #tracked = new Map<string, FetchPartitionRequest>()
  /** Sent in the request in flight; becomes #tracked if it succeeds. */
  #pending: Map<string, FetchPartitionRequest> | undefined

  get sessionId(): number {
    return this.#sessionId
  }

  /** Builds the next request for the partitions wanted now. */
  build(wanted: readonly FetchPartitionRequest[]): FetchSessionRequest {
    const next = new Map(wanted.map((p) => [key(p.topic, p.partition), p]))
    this.#pending = next
    if (this.#sessionId === 0) {
      return { sessionId: 0, sessionEpoch: 0, partitions: [...wanted], forgotten: [], full: true }
    }
    const partitions: FetchPartitionRequest[] = []
    for (const [k, p] of next) {
      const old = this.#tracked.get(k)
      if (
        !old ||
        old.fetchOffset !== p.fetchOffset ||
        old.partitionMaxBytes !== p.partitionMaxBytes ||
        old.currentLeaderEpoch !== p.currentLeaderEpoch
      ) {
        partitions.push(p)
      }
    }
    const forgotten: FetchSessionRequest['forgotten'] = []
    for (const [k, p] of this.#tracked) {
      if (!next.has(k)) forgotten.push({ topic: p.topic, topicId: p.topicId, partition: p.partition })
    }
    return { sessionId: this.#sessionId, sessionEpoch: this.#epoch, partitions, forgotten, full: false }
  }

  /** The request built last succeeded; `sessionId` is the one the broker returned. */
  onResponse(sessionId: number, errorCode: number): void {
    if (errorCode !== 0) {
      this.reset()
      return
    }
    if (this.#pending) this.#tracked = this.#pending
    this.#pending = undefined
    if (sessionId === 0) {
      // No session (the broker has no room, or sessions are off): stay on full fetches.
      this.#sessionId = 0
      this.#epoch = 0
      return
    }
    if (sessionId !== this.#sessionId) {
      this.#sessionId = sessionId
      this.#epoch = 1
    } else {
      // Epochs wrap from int32 max to 1 (0 is reserved for "new session").
      this.#epoch = this.#epoch >= 0x7fffffff ? 1 : this.#epoch + 1
    }
  }

  /** Back to full fetches (connection lost, request failed, session error). */
  reset(): void {
    this.#sessionId = 0
    this.#epoch = 0
    this.#tracked.clear()
    this.#pending = undefined
  }
}

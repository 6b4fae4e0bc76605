// Partitions added to a topic after a producer or consumer was created (admin update-partitions)
// would never be used if the count were read only once: a producer would not route to them and,
// worse, a consumer would never read what other producers send there. Like the Java client's
// `autoUpdatePartitions`, each partitioned producer and consumer asks for the topic's partition
// metadata every interval (default 60 s) and grows when the count grew. Pulsar cannot remove
// partitions, so a smaller answer (a stale broker) is ignored.

import { ConfigError } from '../core/errors.ts'
import type { PulsarClient } from './client.ts'

export interface PartitionUpdateOptions {
  /** Follow partitions added to a partitioned topic later. Default true. */
  autoUpdatePartitions?: boolean
  /** How often to check the partition count. Default 60 000 ms. */
  autoUpdatePartitionsIntervalMs?: number
}

export const DEFAULT_PARTITION_UPDATE_INTERVAL_MS = 60_000

/** Polls one partitioned topic's partition count and calls `grow` when it increased. */
export class PartitionUpdater {
  readonly #client: PulsarClient
  readonly #topic: string
  readonly #grow: (from: number, to: number) => Promise<void>
  #known: number
  #timer: ReturnType<typeof setInterval> | undefined
  #checking: Promise<void> | undefined

  /**
   * Starts polling unless disabled (undefined is returned then). `grow(from, to)` must add
   * partitions `from … to - 1`; if it throws, the next check tries again from the same count, so it
   * must skip what it already added.
   */
  static start(
    client: PulsarClient,
    topic: string,
    known: number,
    opts: PartitionUpdateOptions,
    grow: (from: number, to: number) => Promise<void>,
  ): PartitionUpdater | undefined {
    if (opts.autoUpdatePartitions === false) return undefined
    const interval = opts.autoUpdatePartitionsIntervalMs ?? DEFAULT_PARTITION_UPDATE_INTERVAL_MS
    if (!Number.isFinite(interval) || interval <= 0)
      throw new ConfigError('autoUpdatePartitionsIntervalMs must be a positive number of milliseconds')
    const u = new PartitionUpdater(client, topic, known, grow)
    u.#timer = setInterval(() => void u.check(), interval)
    // Never what keeps a process alive: the producer/consumer itself does that.
    u.#timer.unref()
    return u
  }

  private constructor(
    client: PulsarClient,
    topic: string,
    known: number,
    grow: (from: number, to: number) => Promise<void>,
  ) {
    this.#client = client
    this.#topic = topic
    this.#known = known
    this.#grow = grow
  }

  /** The partition count in use. */
  get partitions(): number {
    return this.#known
  }

  /** One check now; a check still running is joined rather than overlapped. */
  check(): Promise<void> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined
    })
    return this.#checking
  }

  async #check(): Promise<void> {
    if (this.#timer === undefined) return
    let count: number
    try {
      count = await this.#client.partitions(this.#topic)
    } catch {
      // Unreachable broker or a lookup in progress elsewhere: the next interval asks again; the
      // producers and consumers of the known partitions are not affected.
      return
    }
    if (count <= this.#known || this.#timer === undefined) return
    try {
      await this.#grow(this.#known, count)
      this.#known = count
    } catch {
      // Some new partition could not be joined yet (e.g. still being created): retried next time.
    }
  }

  /** Stops polling and waits for a check in progress, so nothing grows after the owner closed. */
  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#checking
  }
}

// ListOffsets: earliest/latest offsets and offsets for timestamps, asked of each partition's
// leader. Used by the consumer (start positions, out-of-range resets, offsetsForTimes) and by
// admin (lag, reset group offsets).

import { ConduitError } from '../../core/errors.ts'
import { Backoff, sleep } from '../../core/backoff.ts'
import type { KafkaCluster } from '../cluster.ts'
import { ApiKey, kafkaError } from '../protocol/index.ts'

/** Special timestamps of ListOffsets. */
export const OffsetSpec = { LATEST: -1n, EARLIEST: -2n } as const

export interface OffsetQuery {
  topic: string
  partition: number
  /** Milliseconds, or OffsetSpec.LATEST / EARLIEST. */
  timestamp: bigint
}

export interface OffsetAnswer {
  topic: string
  partition: number
  /** -1 when no record has a timestamp >= the one asked for. */
  offset: bigint
  timestamp: bigint
}

const tpKey = (topic: string, partition: number) => `${topic}\0${partition}`

/**
 * Resolves every query, retrying retriable errors (leader moves) until `timeoutMs`.
 * isolationLevel 1 (read_committed) makes LATEST the last stable offset.
 */
export async function listOffsets(
  cluster: KafkaCluster,
  queries: readonly OffsetQuery[],
  isolationLevel: 0 | 1 = 0,
  timeoutMs = cluster.options.requestTimeoutMs,
): Promise<Map<string, OffsetAnswer>> {
  const out = new Map<string, OffsetAnswer>()
  let todo = [...queries]
  const deadline = Date.now() + timeoutMs
  const backoff = new Backoff({ initialMs: 50, maxMs: 1000 })
  for (;;) {
    for (const q of todo) await cluster.topic(q.topic)
    const byLeader = new Map<number, OffsetQuery[]>()
    let lastError: Error | undefined
    const retry: OffsetQuery[] = []
    for (const q of todo) {
      const leader = cluster.leaderOf(q.topic, q.partition)
      if (leader < 0) {
        retry.push(q)
        continue
      }
      let list = byLeader.get(leader)
      if (!list) byLeader.set(leader, (list = []))
      list.push(q)
    }
    await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        try {
          const conn = await cluster.connection(leader, 'admin')
          const topics = new Map<string, { name: string; partitions: object[] }>()
          for (const q of list) {
            let t = topics.get(q.topic)
            if (!t) topics.set(q.topic, (t = { name: q.topic, partitions: [] }))
            const info = cluster.topics.get(q.topic)?.partitions[q.partition]
            t.partitions.push({
              partitionIndex: q.partition,
              currentLeaderEpoch: info?.leaderEpoch ?? -1,
              timestamp: q.timestamp,
            })
          }
          const res = await conn.request(ApiKey.ListOffsets, {
            replicaId: -1,
            isolationLevel,
            topics: [...topics.values()],
            timeoutMs: cluster.options.requestTimeoutMs,
          })
          for (const t of res.topics) {
            for (const p of t.partitions) {
              const q = list.find((x) => x.topic === t.name && x.partition === p.partitionIndex)
              if (!q) continue
              if (p.errorCode !== 0) {
                const err = kafkaError(p.errorCode, `ListOffsets for ${t.name}-${p.partitionIndex}`)
                cluster.noteError(p.errorCode)
                if (!err.retriable) throw err
                lastError = err
                retry.push(q)
                continue
              }
              out.set(tpKey(q.topic, q.partition), {
                topic: q.topic,
                partition: q.partition,
                offset: BigInt(p.offset),
                timestamp: BigInt(p.timestamp),
              })
            }
          }
        } catch (err) {
          if (!(err instanceof ConduitError) || !err.retriable) throw err
          lastError = err
          retry.push(...list.filter((q) => !out.has(tpKey(q.topic, q.partition))))
        }
      }),
    )
    todo = retry
    if (todo.length === 0) return out
    if (Date.now() > deadline)
      throw lastError ?? kafkaError(5, `ListOffsets for ${todo[0]!.topic}-${todo[0]!.partition}`)
    await cluster.refreshMetadata('known').catch(() => undefined)
    await sleep(backoff.next())
  }
}

export function offsetKey(topic: string, partition: number): string {
  return tpKey(topic, partition)
}

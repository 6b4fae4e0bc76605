// Shared bits of the Kafka integration tests: unique names and a native client on a broker.
import { connectKafka, type KafkaClientOptions } from '../../../src/kafka/index.ts'
import type { KafkaBroker } from '../../../src/kafka/index.ts'

export { unique } from '../../support/names.ts'

export async function client(url: string, options: KafkaClientOptions = {}): Promise<KafkaBroker> {
  return connectKafka(url, { clientId: 'conduit-test', ...options })
}

/** Reads until `count` records arrived or `ms` passed. */
export async function collect<T>(
  iterable: AsyncIterable<{ messages: readonly T[]; ack(): Promise<void> }>,
  count: number,
  ms = 30_000,
): Promise<T[]> {
  const out: T[] = []
  const deadline = Date.now() + ms
  const it = iterable[Symbol.asyncIterator]()
  while (out.length < count) {
    const left = deadline - Date.now()
    if (left <= 0) throw new Error(`only ${out.length} of ${count} records arrived within ${ms} ms`)
    let timer: NodeJS.Timeout | undefined
    const r = await Promise.race([
      it.next(),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left))),
    ])
    clearTimeout(timer)
    if (r === 'timeout') throw new Error(`only ${out.length} of ${count} records arrived within ${ms} ms`)
    if (r.done) break
    out.push(...r.value.messages)
    await r.value.ack()
  }
  return out
}

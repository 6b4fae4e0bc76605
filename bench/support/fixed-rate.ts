// Latency at a fixed offered rate: `total` sends started on a schedule of `rate` per second (not
// waiting for one another), each timed from its start to its acknowledgement. A send that falls
// behind schedule starts at once, so a slow client shows up as latency, not as a lower rate.
import { Histogram } from '../../src/core/histogram.ts'

/** Resolves with a histogram of microseconds per acknowledged send. */
export async function latencyAtRate(
  total: number,
  rate: number,
  send: (i: number) => Promise<void>,
): Promise<Histogram> {
  const hist = new Histogram()
  const pending: Promise<void>[] = []
  const start = performance.now()
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now()
    if (wait > 1) await new Promise((r) => setTimeout(r, wait))
    const sentAt = performance.now()
    pending.push(send(i).then(() => hist.record(Math.round((performance.now() - sentAt) * 1000))))
  }
  await Promise.all(pending)
  return hist
}

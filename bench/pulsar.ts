// npm run bench:pulsar — Conduit against pulsar-flex (pure JS) and the Java `pulsar-perf` (through
// bench/reference.ts, when present) on the same local Pulsar standalone. Not a timed test.
//
// For 100 B and 1 KiB values, each Node client in its own child process (so CPU and RSS are its
// own): producer throughput with batching (Conduit: async sends with automatic batching, 1 ms
// batch window like pulsar-perf's default; pulsar-flex: its explicit sendBatch of 100, 8 in
// flight), publish latency p50/p99 at a fixed rate (each client sending one message at a time,
// without batching), and consumer throughput reading back (and acknowledging) everything
// produced. The table ends with Conduit's ratios to the others.
//
// Broker: CONDUIT_PULSAR_URL, else the shared dev broker
// (`npm run brokers -- up pulsar`). Knobs: BENCH_SECONDS (default 5 per phase), BENCH_RATE
// (default 2000 msg/s for latency), BENCH_RUNS (default 3: each Node client runs that many times,
// one process at a time, and the table shows medians), BENCH_SIZES (default "100,1024"),
// BENCH_SETTLE_MS (default 10 000: the pause between the throughput and the latency phase; the
// standalone broker keeps writing out a fast client's burst for seconds, and with 3 s Conduit's
// p99 at 100 B read 15–49 ms against 5.5–7.8 ms with 10 s, in the same session).

import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { PulsarConsumer, PulsarProducer, createClient } from '../src/pulsar/index.ts'
import { runChildJson } from './support/child.ts'
import { latencyAtRate } from './support/fixed-rate.ts'
import { startUsageMeter } from './support/process-usage.ts'
import { fmt, medianRow, printTable, ratio } from './support/table.ts'

type ClientName = 'conduit' | 'pulsar-flex'

interface Result {
  client: string
  size: number
  produceMsgs: number
  p50Ms: number
  p99Ms: number
  consumeMsgs: number
  cpuPct: number
  rssMiB: number
}

const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const rate = Number(process.env.BENCH_RATE ?? 2000)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 10_000)
const SIZES = (process.env.BENCH_SIZES ?? '100,1024').split(',').map(Number)
const BATCH = 100
const IN_FLIGHT = 8

interface Adapter {
  /** Produces for `ms`; returns how many messages the broker acknowledged. */
  produceFor(ms: number, value: Buffer): Promise<number>
  sendOne(value: Buffer): Promise<void>
  /** Creates the subscription (before anything is produced, so it sees everything). */
  subscribe(): Promise<void>
  /** Reads (and acks) until `count` messages or `ms` passed; returns how many. */
  consume(count: number, ms: number): Promise<number>
  close(): Promise<void>
}

async function conduitAdapter(url: string, topic: string): Promise<Adapter> {
  const client = await createClient(url)
  const producer = await PulsarProducer.create(client, {
    topic,
    batchingMaxDelayMs: 1,
    batchingMaxMessages: 1000,
    maxPendingMessages: 20_000,
    sendTimeoutMs: 0,
  })
  // The latency phase sends one message at a time, as pulsar-flex's sendMessage does: a batch
  // window would only add its delay to every send, so this producer does not batch.
  const single = await PulsarProducer.create(client, { topic, batching: false, sendTimeoutMs: 0 })
  let consumer!: PulsarConsumer
  return {
    async produceFor(ms, value) {
      // At most 10 000 sends in flight, counted (a Promise.race over a set of 10 000 promises
      // attaches a reaction to each of them on every call: that cost the harness more CPU than
      // the client spent). The loop resumes when the window is down to 9 000.
      let acked = 0
      let inflight = 0
      let failure: unknown
      let wake: (() => void) | undefined
      const settled = (): void => {
        inflight--
        if (wake && (inflight <= 9_000 || failure !== undefined)) {
          const w = wake
          wake = undefined
          w()
        }
      }
      const ok = (): void => {
        acked++
        settled()
      }
      const failed = (err: unknown): void => {
        failure ??= err
        settled()
      }
      const end = Date.now() + ms
      while (Date.now() < end && failure === undefined) {
        inflight++
        producer.send({ value }).then(ok, failed)
        if (inflight >= 10_000) await new Promise<void>((resolve) => (wake = resolve))
      }
      while (inflight > 0) await new Promise<void>((resolve) => (wake = resolve))
      if (failure !== undefined) throw failure
      return acked
    },
    async sendOne(value) {
      await single.send({ value })
    },
    async subscribe() {
      consumer = await PulsarConsumer.create(client, {
        topic,
        subscription: 'bench',
        receiverQueueSize: 5000,
      })
    },
    async consume(count, ms) {
      // What pulsar-perf's consumer does: every message is received and acknowledged on its own
      // (it acknowledges each one with acknowledgeAsync from a message listener; its client groups
      // the ACK commands, as Conduit's consumer groups the acks given until the event loop turns).
      const end = Date.now() + ms
      let n = 0
      while (n < count && Date.now() < end) {
        const m = await consumer.receive()
        if (!m) throw new Error('consumer closed early')
        consumer.acknowledge(m).catch(() => undefined) // the last acks may race close()
        n++
      }
      await consumer.close()
      return n
    },
    async close() {
      await producer.close()
      await single.close()
      await client.close()
    },
  }
}

interface FlexProducer {
  create(): Promise<void>
  close(): Promise<void>
  sendBatch(opts: { messages: { payload: Buffer; properties?: Record<string, string> }[] }): Promise<unknown>
  sendMessage(opts: { payload: Buffer; properties?: Record<string, string> }): Promise<unknown>
}
interface FlexConsumer {
  subscribe(): Promise<void>
  unsubscribe(): Promise<void>
  run(opts: {
    onMessage: (m: { ack: () => Promise<void> }) => Promise<void> | void
    autoAck: boolean
  }): Promise<void>
}

async function flexAdapter(url: string, topic: string): Promise<Adapter> {
  // pulsar-flex ships no types; a non-literal specifier keeps tsc from looking for them.
  const specifier = 'pulsar-flex'
  const flex = ((await import(specifier)) as { default: unknown }).default as {
    Producer: new (o: object) => FlexProducer
    Consumer: (new (o: object) => FlexConsumer) & { SUB_TYPES: Record<string, unknown> }
    logLevel: Record<string, unknown>
  }
  const discoveryServers = [url.replace('pulsar://', '')]
  const producer = new flex.Producer({ topic, discoveryServers, logLevel: flex.logLevel.NOTHING })
  await producer.create()
  let consumer!: FlexConsumer
  return {
    async produceFor(ms, value) {
      let acked = 0
      const end = Date.now() + ms
      const messages = Array.from({ length: BATCH }, () => ({ payload: value }))
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (Date.now() < end) {
            await producer.sendBatch({ messages })
            acked += BATCH
          }
        }),
      )
      return acked
    },
    async sendOne(value) {
      await producer.sendMessage({ payload: value })
    },
    async subscribe() {
      // Its Earliest initial position delivered nothing against Pulsar 4 in our runs, so the
      // subscription is made first, at Latest, like Conduit's.
      consumer = new flex.Consumer({
        topic,
        discoveryServers,
        subscription: 'bench',
        subType: flex.Consumer.SUB_TYPES.EXCLUSIVE,
        consumerName: 'bench',
        // pulsar-flex drops a whole entry that arrives while its receive queue is exactly full,
        // and since the dropped messages are never dequeued their permits are never asked for
        // again: with batched entries and a backlog it stops after receiveQueueSize messages
        // (it read 5,000 in the 15 s allowed, "333 msg/s", in every earlier run). A queue larger
        // than the whole backlog never fills, so it reads everything: its best case.
        receiveQueueSize: 20_000_000,
        logLevel: flex.logLevel.NOTHING,
      })
      await consumer.subscribe()
    },
    async consume(count, ms) {
      let n = 0
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms)
        void consumer.run({
          autoAck: false,
          // pulsar-flex's ack() waits for the broker's ACK_RESPONSE, and its run() loop hands
          // out the next message only after onMessage returns: awaiting it would make every
          // message a round trip. Like pulsar-perf's acknowledgeAsync (and Conduit's
          // acknowledge(), which resolves once the ACK is written), the ack is started, not awaited.
          onMessage: ({ ack }) => {
            ack().catch(() => undefined)
            if (++n >= count) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
      })
      await consumer.unsubscribe().catch(() => undefined)
      return n
    },
    async close() {
      await producer.close()
    },
  }
}

async function runChild(client: ClientName, size: number, url: string, topic: string): Promise<Result> {
  const adapter = await (client === 'conduit' ? conduitAdapter : flexAdapter)(url, topic)
  const value = Buffer.alloc(size, 'x')
  const usage = startUsageMeter()

  const phase = (what: string): void => void process.stderr.write(`  ${client} ${size} B: ${what}\n`)
  await adapter.subscribe()
  phase('warm-up')
  let produced = await adapter.produceFor(1500, value) // warm-up (JIT, connection, batch sizes)
  phase('produce')
  let t = performance.now()
  const acked = await adapter.produceFor(seconds * 1000, value)
  const produceMsgs = acked / ((performance.now() - t) / 1000)
  produced += acked

  // Settle: the broker is still writing out the throughput phase's backlog (journal, ledger
  // flush, GC), and more of it the faster the client was; latency is measured after that.
  await new Promise((r) => setTimeout(r, SETTLE_MS))
  phase('latency')
  const total = Math.round((rate * seconds) / 2)
  const hist = await latencyAtRate(total, rate, (i) => adapter.sendOne(value))
  produced += total

  phase(`consume ${produced}`)
  t = performance.now()
  const consumed = await adapter.consume(produced, seconds * 3000)
  const consumeMsgs = consumed / ((performance.now() - t) / 1000)

  const { cpuPct, rssMiB } = usage.stop()
  await adapter.close()
  return {
    client,
    size,
    produceMsgs,
    p50Ms: hist.percentile(50) / 1000,
    p99Ms: hist.percentile(99) / 1000,
    consumeMsgs,
    cpuPct,
    rssMiB,
  }
}

function child(client: ClientName, size: number, url: string, topic: string): Promise<Result> {
  const args = ['--child', client, String(size), url, topic]
  return runChildJson<Result>(
    fileURLToPath(import.meta.url),
    args,
    `${client} ${size} B`,
    (seconds * 4 + 120) * 1000,
  )
}

/** Java's pulsar-perf through bench/reference.ts (its produce runs at full speed, so its latency is under load). */
async function javaReference(url: string, size: number, messages: number): Promise<Partial<Result> | string> {
  const path = new URL('./reference.ts', import.meta.url)
  if (!existsSync(path)) return 'bench/reference.ts is not in the repository: no pulsar-perf run'
  const ref = (await import(path.href)) as {
    runReference(
      kind: string,
      opts: Record<string, unknown>,
    ): Promise<{ role: string; msgPerSec: number; p50Ms?: number; p99Ms?: number }[]>
  }
  const runs = await ref.runReference('pulsar', { url, size, messages })
  const produce = runs.find((r) => r.role === 'produce')
  const consume = runs.find((r) => r.role === 'consume')
  return {
    client: 'java (pulsar-perf)',
    size,
    produceMsgs: produce?.msgPerSec ?? NaN,
    consumeMsgs: consume?.msgPerSec ?? NaN,
    p50Ms: produce?.p50Ms ?? NaN,
    p99Ms: produce?.p99Ms ?? NaN,
    cpuPct: NaN,
    rssMiB: NaN,
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    const [, , , client, size, url, topic] = process.argv
    const r = await runChild(client as ClientName, Number(size), url!, topic!)
    console.log(JSON.stringify(r))
    process.exit(0)
  }
  let url = process.env.CONDUIT_PULSAR_URL
  if (!url) {
    const { useBroker } = await import('../test/support/brokers.ts')
    const b = await useBroker('pulsar')
    url = b.url
  }
  const results: Result[] = []
  const notes: string[] = []
  for (const size of SIZES) {
    for (const client of ['conduit', 'pulsar-flex'] as const) {
      const topic = `persistent://public/default/bench-${client}-${size}-${Date.now()}`
      // One client at a time, each run in a fresh process on a fresh topic; the table shows the
      // median of the runs (a shared two-core machine makes single runs noisy).
      const runs: Result[] = []
      for (let run = 0; run < RUNS; run++) {
        try {
          runs.push(await child(client, size, url, `${topic}-${run}`))
          const r = runs.at(-1)!
          console.error(
            `done: ${client} ${size} B run ${run + 1}/${RUNS}: produce ${Math.round(r.produceMsgs)}, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, consume ${Math.round(r.consumeMsgs)}`,
          )
        } catch (err) {
          notes.push(String(err))
        }
      }
      if (runs.length > 0) results.push(medianRow(runs))
    }
    const ours = results.find((r) => r.client === 'conduit' && r.size === size)
    const messages = Math.max(50_000, Math.round((ours?.produceMsgs ?? 50_000) * seconds))
    const java = await javaReference(url, size, messages).catch(
      (err: unknown) => `pulsar-perf failed: ${String(err)}`,
    )
    if (typeof java === 'string') notes.push(java)
    else results.push(java as Result)
  }

  console.log(
    `Pulsar, ${seconds} s per phase, latency at ${rate} msg/s, Node clients: median of ${RUNS} runs`,
  )
  printTable(
    ['client', 'size', 'produce msg/s', 'p50 ms', 'p99 ms', 'consume msg/s', 'CPU %', 'RSS MiB'],
    results.map((r) => [
      r.client,
      `${r.size} B`,
      fmt(r.produceMsgs),
      fmt(r.p50Ms, 2),
      fmt(r.p99Ms, 2),
      fmt(r.consumeMsgs),
      fmt(r.cpuPct),
      fmt(r.rssMiB),
    ]),
  )
  console.log(
    '\nConduit ÷ other (higher is better; for latency, other ÷ Conduit). Goals: ≥ 3× pulsar-flex, ≥ 0.6× Java.',
  )
  for (const size of SIZES) {
    const ours = results.find((r) => r.client === 'conduit' && r.size === size)
    if (!ours) continue
    for (const other of results.filter((r) => r.client !== 'conduit' && r.size === size)) {
      console.log(
        `  ${size} B vs ${other.client}: produce ${ratio(ours.produceMsgs, other.produceMsgs)}, consume ${ratio(ours.consumeMsgs, other.consumeMsgs)}, p99 ${ratio(other.p99Ms, ours.p99Ms)}`,
      )
    }
  }
  for (const n of notes) console.log(`note: ${n}`)
}

await main()

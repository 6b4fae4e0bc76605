// npm run bench:kafka — Conduit against KafkaJS, @platformatic/kafka and the Java reference tools
// (bench/reference.ts, when present) on the same local broker. Not a timed test.
//
// For 100 B and 1 KiB values, acks=all, each client in its own child process (so CPU and RSS are
// its own): batched producer throughput (arrays of 100, 8 in flight), awaited one-at-a-time sends,
// latency p50/p99 at a fixed rate, and consumer throughput reading back what was produced. The
// table shows Conduit's ratio to the best other Node client in each row.
//
// Broker: CONDUIT_KAFKA_URL, else the shared dev broker (`npm run brokers -- up kafka`).
// Knobs: BENCH_SECONDS (default 5 per phase), BENCH_RATE (default 2000 msg/s for latency),
// BENCH_SETTLE_MS (default 3000: the pause, after a sync, between the batched burst and the
// awaited sends), BENCH_REPS (default 3): every client runs that many times, one at a time and
// alternating with the others (so a noisy minute on a shared machine hits every client), and the
// table shows the median of each figure. BENCH_SIZES (default "100,1024") picks the value sizes;
// BENCH_JAVA=0 leaves out the Java reference run; BENCH_CHECK_CRCS=1 makes Conduit's consumer
// verify batch CRCs, which the other Node clients do not do.

import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { connectKafka } from '../src/kafka/index.ts'
import { KafkaConsumer } from '../src/kafka/consumer/consumer.ts'
import { KafkaProducer } from '../src/kafka/producer/producer.ts'
import { runChildJson } from './support/child.ts'
import { latencyAtRate } from './support/fixed-rate.ts'
import { startUsageMeter } from './support/process-usage.ts'
import { settleAfterBurst } from './support/settle.ts'
import { fmt, medianRow, printTable, ratio } from './support/table.ts'

type ClientName = 'conduit' | 'kafkajs' | 'platformatic'

interface Result {
  client: string
  size: number
  batchedMsgs: number
  singleMsgs: number
  p50Ms: number
  p99Ms: number
  consumeMsgs: number
  cpuPct: number
  rssMiB: number
}

const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const rate = Number(process.env.BENCH_RATE ?? 2000)
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 3000)
const PARTITIONS = 3
const BATCH = 100
const IN_FLIGHT = 8
const reps = Math.max(1, Number(process.env.BENCH_REPS ?? 3))
const sizes = (process.env.BENCH_SIZES ?? '100,1024').split(',').map(Number)
const withJava = process.env.BENCH_JAVA !== '0'

/** One client's adapter: the four phases, each returning counts/latencies. */
interface Adapter {
  sendBatch(values: Buffer[], keys: string[]): Promise<void>
  sendOne(value: Buffer, key: string): Promise<void>
  consumeAll(count: number): Promise<void>
  close(): Promise<void>
}

async function conduitAdapter(url: string, topic: string): Promise<Adapter> {
  const broker = await connectKafka(url)
  const producer = new KafkaProducer(broker.cluster, { acks: 'all' })
  await producer.prepareTopic(topic)
  return {
    async sendBatch(values, keys) {
      await producer.sendBatch(
        topic,
        values.map((value, i) => ({ key: keys[i], value })),
      )
    },
    async sendOne(value, key) {
      await producer.send(topic, { key, value })
    },
    async consumeAll(count) {
      // KafkaJS and @platformatic/kafka read each batch's CRC but never verify it; Conduit checks
      // it by default (like Java's check.crcs), the largest cost per fetched byte. Same work for
      // every client: off here unless BENCH_CHECK_CRCS=1.
      const consumer = new KafkaConsumer(broker.cluster, {
        autoOffsetReset: 'earliest',
        maxBatch: 10_000,
        checkCrcs: process.env.BENCH_CHECK_CRCS === '1',
      })
      await consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })))
      let n = 0
      while (n < count) {
        const b = await consumer.nextBatch()
        if (!b) break
        n += b.messages.length
        await b.ack()
      }
      await consumer.close()
    },
    async close() {
      await producer.close()
      await broker.close()
    },
  }
}

async function kafkajsAdapter(url: string, topic: string): Promise<Adapter> {
  const { Kafka, logLevel } = (await import('kafkajs')).default
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: url.replace('kafka://', '').split(','),
    logLevel: logLevel.NOTHING,
  })
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 })
  await producer.connect()
  return {
    async sendBatch(values, keys) {
      await producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ key: keys[i]!, value })) })
    },
    async sendOne(value, key) {
      await producer.send({ topic, acks: -1, messages: [{ key, value }] })
    },
    async consumeAll(count) {
      const consumer = kafka.consumer({ groupId: `bench-${Date.now()}-${Math.random()}` })
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning: true })
      let n = 0
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachBatch: async ({ batch }) => {
            n += batch.messages.length
            if (n >= count) resolve()
          },
        })
      })
      await consumer.disconnect()
    },
    async close() {
      await producer.disconnect()
    },
  }
}

async function platformaticAdapter(url: string, topic: string): Promise<Adapter> {
  const pk = await import('@platformatic/kafka')
  const bootstrapBrokers = url.replace('kafka://', '').split(',')
  const producer = new pk.Producer({
    clientId: 'bench',
    bootstrapBrokers,
    acks: pk.ProduceAcks.ALL,
    idempotent: true,
    serializers: { key: pk.stringSerializer, value: (v?: Buffer) => v ?? null } as never,
  })
  return {
    async sendBatch(values, keys) {
      await producer.send({ messages: values.map((value, i) => ({ topic, key: keys[i], value })) as never })
    },
    async sendOne(value, key) {
      await producer.send({ messages: [{ topic, key, value }] as never })
    },
    async consumeAll(count) {
      const consumer = new pk.Consumer({
        clientId: 'bench-c',
        groupId: `bench-${Date.now()}-${Math.random()}`,
        bootstrapBrokers,
      })
      const stream = await consumer.consume({
        topics: [topic],
        mode: pk.MessagesStreamModes.EARLIEST,
        autocommit: false,
      })
      let n = 0
      await new Promise<void>((resolve) => {
        stream.on('data', () => {
          if (++n >= count) resolve()
        })
      })
      await stream.close()
      await consumer.close(true)
    },
    async close() {
      await producer.close()
    },
  }
}

/** Child process: runs every phase for one client and size, prints one JSON line. */
async function runChild(client: ClientName, size: number, url: string, topic: string): Promise<Result> {
  const make = { conduit: conduitAdapter, kafkajs: kafkajsAdapter, platformatic: platformaticAdapter }[client]
  const adapter = await make(url, topic)
  const value = Buffer.alloc(size, 'x')
  const keys = Array.from({ length: BATCH }, (_, i) => `key-${i}`)
  const values = Array.from({ length: BATCH }, () => value)
  const usage = startUsageMeter()

  // Warm-up (connections, metadata, producer id).
  await adapter.sendBatch(values, keys)
  let produced = BATCH

  // 1. Batched throughput.
  let batches = 0
  let end = Date.now() + seconds * 1000
  let t = performance.now()
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (Date.now() < end) {
        await adapter.sendBatch(values, keys)
        batches++
      }
    }),
  )
  const batchedMsgs = (batches * BATCH) / ((performance.now() - t) / 1000)
  produced += batches * BATCH

  // 2. Awaited one-at-a-time sends, once the burst above is on disk.
  await settleAfterBurst(SETTLE_MS)
  let singles = 0
  end = Date.now() + seconds * 1000
  t = performance.now()
  while (Date.now() < end) {
    await adapter.sendOne(value, keys[singles % BATCH]!)
    singles++
  }
  const singleMsgs = singles / ((performance.now() - t) / 1000)
  produced += singles

  // 3. Latency at a fixed rate (sends not awaited one by one).
  const total = Math.round((rate * seconds) / 2)
  const hist = await latencyAtRate(total, rate, (i) => adapter.sendOne(value, keys[i % BATCH]!))
  produced += total

  // 4. Consumer throughput over everything produced.
  t = performance.now()
  await adapter.consumeAll(produced)
  const consumeMsgs = produced / ((performance.now() - t) / 1000)

  const { cpuPct, rssMiB } = usage.stop()
  await adapter.close()
  return {
    client,
    size,
    batchedMsgs,
    singleMsgs,
    p50Ms: hist.percentile(50) / 1000,
    p99Ms: hist.percentile(99) / 1000,
    consumeMsgs,
    cpuPct,
    rssMiB,
  }
}

function child(client: ClientName, size: number, url: string, topic: string): Promise<Result> {
  const args = ['--child', client, String(size), url, topic]
  return runChildJson<Result>(fileURLToPath(import.meta.url), args, `${client} ${size} B`)
}

/** The Java reference tools (ProducerPerformance / ConsumerPerformance) via bench/reference.ts. */
async function javaReference(url: string, size: number): Promise<Partial<Result> | string> {
  const path = new URL('./reference.ts', import.meta.url)
  if (!existsSync(path)) return 'bench/reference.ts is not in the repository: no Java reference run'
  const ref = (await import(path.href)) as {
    runReference(
      kind: string,
      opts: { url?: string; size?: number; messages?: number },
    ): Promise<{ role: 'produce' | 'consume'; msgPerSec: number; p50Ms?: number; p99Ms?: number }[]>
  }
  const results = await ref.runReference('kafka', {
    url,
    size,
    messages: Number(process.env.BENCH_JAVA_MESSAGES ?? 500_000),
  })
  const produce = results.find((r) => r.role === 'produce')
  const consume = results.find((r) => r.role === 'consume')
  return {
    client: 'java',
    size,
    batchedMsgs: produce?.msgPerSec ?? NaN,
    singleMsgs: NaN,
    // ProducerPerformance sends as fast as it can: its latencies are under saturation, not at
    // the fixed rate of the other rows, so they are not shown.
    p50Ms: NaN,
    p99Ms: NaN,
    consumeMsgs: consume?.msgPerSec ?? NaN,
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
  let url = process.env.CONDUIT_KAFKA_URL
  if (!url) {
    const { useBroker } = await import('../test/support/brokers.ts')
    url = (await useBroker('kafka')).url
  }
  const admin = await connectKafka(url)
  const results: Result[] = []
  const notes: string[] = []
  for (const size of sizes) {
    const runs = new Map<string, Result[]>()
    for (let rep = 0; rep < reps; rep++) {
      for (const client of ['conduit', 'kafkajs', 'platformatic'] as const) {
        const topic = `bench-${client}-${size}-${Date.now()}`
        await admin.admin.createTopic(topic, { partitions: PARTITIONS })
        try {
          const r = await child(client, size, url, topic)
          runs.set(client, [...(runs.get(client) ?? []), r])
          console.error(
            `run ${rep + 1}/${reps}: ${client} ${size} B  batched ${fmt(r.batchedMsgs)}  single ${fmt(r.singleMsgs)}  p99 ${fmt(r.p99Ms, 2)} ms  consume ${fmt(r.consumeMsgs)}`,
          )
        } catch (err) {
          notes.push(String(err))
        }
        await admin.admin.deleteTopic(topic).catch(() => undefined)
      }
    }
    for (const list of runs.values()) results.push(medianRow(list))
    if (!withJava) continue
    const java = await javaReference(url, size).catch(
      (err: unknown) => `Java reference failed: ${String(err)}`,
    )
    if (typeof java === 'string') notes.push(java)
    else results.push(java as Result)
  }
  await admin.close()

  printTable(
    [
      'client',
      'size',
      'batched msg/s',
      'single msg/s',
      'p50 ms',
      'p99 ms',
      'consume msg/s',
      'CPU %',
      'RSS MiB',
    ],
    results.map((r) => [
      r.client,
      `${r.size} B`,
      fmt(r.batchedMsgs),
      fmt(r.singleMsgs),
      fmt(r.p50Ms, 2),
      fmt(r.p99Ms, 2),
      fmt(r.consumeMsgs),
      fmt(r.cpuPct),
      fmt(r.rssMiB),
    ]),
  )

  console.log(`\nMedian of ${reps} run(s) per client (Java: one run).`)
  console.log('\nConduit ÷ best other Node client (higher is better; for latency, other ÷ Conduit):')
  for (const size of sizes) {
    const ours = results.find((r) => r.client === 'conduit' && r.size === size)
    const others = results.filter(
      (r) => (r.client === 'kafkajs' || r.client === 'platformatic') && r.size === size,
    )
    if (!ours || others.length === 0) continue
    const best = (f: (r: Result) => number, lower = false) =>
      lower ? Math.min(...others.map(f)) : Math.max(...others.map(f))
    console.log(
      `  ${size} B: batched ${ratio(
        ours.batchedMsgs,
        best((r) => r.batchedMsgs),
      )}, single ${ratio(
        ours.singleMsgs,
        best((r) => r.singleMsgs),
      )}, ` +
        `p99 ${ratio(
          best((r) => r.p99Ms, true),
          ours.p99Ms,
        )}, consume ${ratio(
          ours.consumeMsgs,
          best((r) => r.consumeMsgs),
        )}`,
    )
    const java = results.find((r) => r.client === 'java' && r.size === size)
    if (java) {
      console.log(
        `  ${size} B vs Java: produce ${ratio(ours.batchedMsgs, java.batchedMsgs)}, consume ${ratio(ours.consumeMsgs, java.consumeMsgs)}`,
      )
    }
  }
  for (const n of notes) console.log(`note: ${n}`)
}

await main()

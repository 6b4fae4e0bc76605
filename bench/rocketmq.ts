// npm run bench:rocketmq — Conduit against the official Java benchmark Producer/Consumer (via
// bench/reference.ts, when present) on the same local broker, 128 B and 1 KiB messages:
// throughput and send latency p50/p99, printed side by side with ratios. Not a timed test.
//
// Broker: CONDUIT_ROCKETMQ_URL, else the shared dev broker (`npm run brokers -- up rocketmq`).
// Also ali-ons, the one pure-JS RocketMQ client on npm (rocketmq-client-nodejs wraps the C++
// client and needs a native build, so it is not compared).
// Every client sends the same number of messages with the same concurrency as the Java run in
// bench/reference.ts (16 sending threads). Knobs: BENCH_MESSAGES (default 50 000 per run),
// BENCH_INFLIGHT (default 16 sends in flight), BENCH_RUNS (measured runs per client and size,
// default 3), BENCH_WARMUP (messages of a discarded first run of each JS client and size, default
// 10 000).
//
// Fairness: one client at a time (never two loading the broker together); each JS client gets a
// discarded warm-up run first (JIT, connections, routes); every figure is the median of the
// measured runs. Consume throughput counts from the first message received to the last, for the
// JS clients as for Java (whose figure is the mean of its per-second reports while busy), so
// group join and first rebalance are left out for everyone. The Java tools start a new JVM per
// run, so their JIT warm-up is inside every Java run; longer runs (BENCH_MESSAGES) dilute it.

import { Histogram } from '../src/core/histogram.ts'
import { RocketMQAdmin } from '../src/rocketmq/admin.ts'
import { RocketMQClient } from '../src/rocketmq/client.ts'
import { RocketMQPushConsumer } from '../src/rocketmq/consumer/push-consumer.ts'
import { parseRocketMQUrl } from '../src/rocketmq/index.ts'
import { RocketMQProducer } from '../src/rocketmq/producer/producer.ts'
import { useBroker } from '../test/support/brokers.ts'
import { runReference } from './reference.ts'
import { fmt, medianRow, printTable } from './support/table.ts'

interface Row {
  client: string
  size: number
  produceMsgs: number
  p50: number
  p99: number
  avg: number
  consumeMsgs: number
}

const messages = Number(process.env.BENCH_MESSAGES ?? 50_000)
const inflight = Number(process.env.BENCH_INFLIGHT ?? 16)
const runs = Number(process.env.BENCH_RUNS ?? 3)
const warmup = Number(process.env.BENCH_WARMUP ?? 10_000)
const url = process.env.CONDUIT_ROCKETMQ_URL ?? (await useBroker('rocketmq')).url

/**
 * `messages` sends, `inflight` at a time, each awaited by its own worker (the Java benchmark's
 * sending threads): how many were sent and the produce figures of a Row.
 */
async function sendLoop(
  messages: number,
  send: () => Promise<unknown>,
): Promise<{ sent: number; figures: Pick<Row, 'produceMsgs' | 'p50' | 'p99' | 'avg'> }> {
  const latency = new Histogram()
  let sent = 0
  let latencyMs = 0
  let claimed = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (claimed++ < messages) {
        const t = performance.now()
        await send()
        const ms = performance.now() - t
        latency.record(Math.round(ms * 1000))
        latencyMs += ms
        sent++
      }
    }),
  )
  const secs = (performance.now() - started) / 1000
  return {
    sent,
    figures: {
      produceMsgs: sent / secs,
      p50: latency.percentile(50) / 1000,
      p99: latency.percentile(99) / 1000,
      avg: latencyMs / sent,
    },
  }
}

async function conduit(size: number, messages: number): Promise<Row> {
  const client = new RocketMQClient({ nameServers: parseRocketMQUrl(url) })
  const topic = `bench-${size}-${Date.now()}`
  await new RocketMQAdmin(client).createTopic(topic, { partitions: 8 })
  const producer = new RocketMQProducer(client, { group: `bench-p-${Date.now()}` })
  producer.start()
  const body = Buffer.alloc(size, 'x')
  const produced = await sendLoop(messages, () => producer.send({ topic, body }))
  await producer.close()

  // Consume everything just produced with a fresh group from the first offset.
  const consumer = new RocketMQPushConsumer(client, {
    group: `bench-c-${Date.now()}`,
    subscriptions: [{ topic }],
    consumeFrom: 'first',
    pullBatchSize: 32,
  })
  await consumer.start()
  let received = 0
  let firstAt: number | undefined
  while (received < produced.sent) {
    const batch = await consumer.next()
    if (!batch) break
    firstAt ??= performance.now()
    received += batch.messages.length
    await batch.ack()
  }
  const consumeSecs = (performance.now() - (firstAt ?? performance.now())) / 1000
  await consumer.close()
  await client.close()
  return {
    client: 'conduit',
    size,
    ...produced.figures,
    consumeMsgs: received / consumeSecs,
  }
}

interface AliOns {
  Producer: new (options: Record<string, unknown>) => {
    ready(): Promise<void>
    send(message: unknown): Promise<{ sendStatus: string }>
    close(): Promise<void>
  }
  Consumer: new (options: Record<string, unknown>) => {
    ready(): Promise<void>
    subscribe(topic: string, expression: string, handler: (message: unknown) => Promise<void>): void
    close(): Promise<void>
  }
  Message: new (topic: string, tags: string, body: Buffer) => unknown
}

/** ali-ons: the pure-JS RocketMQ remoting client on npm (dev dependency, benchmark only). */
async function aliOns(size: number, messages: number): Promise<Row> {
  const ons = ((await import('ali-ons')) as { default: AliOns }).default
  const client = new RocketMQClient({ nameServers: parseRocketMQUrl(url) })
  const topic = `bench-ons-${size}-${Date.now()}`
  await new RocketMQAdmin(client).createTopic(topic, { partitions: 8 })
  await client.close()
  // ali-ons signs every request; the keys are unused by a broker without ACL.
  const common = {
    httpclient: {},
    nameSrv: parseRocketMQUrl(url),
    accessKeyId: 'bench',
    accessKeySecret: 'bench',
    logger: silent,
  }
  const producer = new ons.Producer({ ...common, producerGroup: `bench-onsp-${Date.now()}` })
  await producer.ready()
  const body = Buffer.alloc(size, 'x')
  const produced = await sendLoop(messages, () => producer.send(new ons.Message(topic, 'bench', body)))
  const sent = produced.sent
  await producer.close()
  const consumer = new ons.Consumer({
    ...common,
    consumerGroup: `bench-onsc-${Date.now()}`,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    pullBatchSize: 32,
    parallelConsumeLimit: 32,
  })
  let received = 0
  let firstAt: number | undefined
  let lastAt = 0
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 60_000)
    consumer.subscribe(topic, '*', async () => {
      firstAt ??= performance.now()
      lastAt = performance.now()
      if (++received >= sent) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  const consumeSecs = (lastAt - (firstAt ?? lastAt)) / 1000
  await consumer.close()
  return {
    client: 'ali-ons',
    size,
    ...produced.figures,
    consumeMsgs: received / consumeSecs,
  }
}

const silent = { info() {}, warn() {}, error() {}, debug() {} }

/** The Java benchmark Producer/Consumer (rocketmq-example) through bench/reference.ts. */
async function java(size: number, messages: number): Promise<Row> {
  const results = await runReference('rocketmq', { url, size, messages })
  const produce = results.find((r) => r.role === 'produce')
  const consume = results.find((r) => r.role === 'consume')
  return {
    client: 'java',
    size,
    produceMsgs: produce?.msgPerSec ?? NaN,
    // The Java benchmark reports the average send latency only.
    p50: produce?.p50Ms ?? NaN,
    p99: produce?.p99Ms ?? NaN,
    avg: produce?.avgMs ?? NaN,
    consumeMsgs: consume?.msgPerSec ?? NaN,
  }
}

const rows: Row[] = []
const notes: string[] = []
const clients: [string, (size: number, messages: number) => Promise<Row>, boolean][] = [
  ['conduit', conduit, true],
  ['ali-ons', aliOns, true],
  ['java', java, false],
]
for (const size of [128, 1024]) {
  for (const [name, run, warm] of clients) {
    try {
      if (warm && warmup > 0) await run(size, warmup)
      const measured: Row[] = []
      for (let i = 0; i < runs; i++) {
        const row = await run(size, messages)
        measured.push(row)
        console.error(
          `[bench] ${name} ${size} B run ${i + 1}/${runs}: produce ${fmt(row.produceMsgs)} msg/s, consume ${fmt(row.consumeMsgs)} msg/s`,
        )
      }
      rows.push(medianRow(measured))
    } catch (err) {
      notes.push(`${name} ${size} B failed: ${String(err)}`)
    }
  }
}

console.log(
  `\nRocketMQ benchmark (${messages} messages per run, ${inflight} sends in flight, median of ${runs} runs after a ${warmup}-message warm-up for JS clients, broker ${url})\n`,
)
printTable(
  [
    'client',
    'size',
    'produce msg/s',
    'avg ms',
    'p50 ms',
    'p99 ms',
    'consume msg/s',
    'vs java (produce / consume)',
  ],
  rows.map((r) => {
    const javaRow = rows.find((x) => x.client === 'java' && x.size === r.size)
    const vsJava =
      javaRow && r.client !== 'java'
        ? `${fmt((100 * r.produceMsgs) / javaRow.produceMsgs)} % / ${fmt((100 * r.consumeMsgs) / javaRow.consumeMsgs)} %`
        : ''
    return [
      r.client,
      `${r.size} B`,
      fmt(r.produceMsgs),
      fmt(r.avg, 2),
      fmt(r.p50, 2),
      fmt(r.p99, 2),
      fmt(r.consumeMsgs),
      vsJava,
    ]
  }),
)
for (const n of [...new Set(notes)]) console.log(`\nnote: ${n}`)
// ali-ons keeps timers and sockets of its shared client alive after close(); end the run here.
process.exit(0)

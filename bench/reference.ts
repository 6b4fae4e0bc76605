// npm run bench:reference -- kafka|pulsar|rocketmq [--messages N] [--size B]
//
// Runs each broker's own Java performance tools against the local broker (a running
// `npm run brokers -- up` broker, or one started for the run) with the same message count and
// size as Conduit's benchmarks, and prints one JSON line per tool run so the benchmark scripts can
// put the official figures next to Conduit's:
//   {"broker":"kafka","tool":"ProducerPerformance","role":"produce","messages":…,"size":…,
//    "msgPerSec":…,"mbPerSec":…,"p50Ms":…,"p99Ms":…}
// Figures are the tools' own, parsed from their output; a field a tool does not report is absent.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { startBroker, stopBroker } from '../tools/brokers/instance.ts'
import { javaExecutable } from '../tools/brokers/jvm.ts'
import { brokerClasspath } from '../tools/brokers/maven.ts'
import { liveState } from '../tools/brokers/state.ts'
import type { BrokerState } from '../tools/brokers/types.ts'

export type ReferenceBroker = 'kafka' | 'pulsar' | 'rocketmq'

export interface ReferenceOptions {
  messages?: number
  /** Payload bytes per message. */
  size?: number
  /** Use this broker instead of a running or freshly started one. */
  url?: string
}

export interface ReferenceResult {
  broker: ReferenceBroker
  tool: string
  role: 'produce' | 'consume'
  messages: number
  size: number
  msgPerSec: number
  mbPerSec: number
  avgMs?: number
  p50Ms?: number
  p99Ms?: number
  maxMs?: number
}

const MB = 1024 * 1024

interface Run {
  code: number
  output: string
}

function runJava(
  classpath: string,
  args: string[],
  options: { stopWhen?: (output: string) => boolean; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(javaExecutable(), ['-Xmx512m', '-cp', join(classpath, '*'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10 * 60_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      if (options.stopWhen?.(output)) child.kill('SIGTERM')
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? 0, output })
    })
  })
}

function number(text: string | undefined): number | undefined {
  return text === undefined ? undefined : Number(text)
}

function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
}

async function kafka(bootstrap: string, messages: number, size: number): Promise<ReferenceResult[]> {
  const cp = await brokerClasspath('kafka-tools')
  const topic = unique('reference-kafka')
  const produced = await runJava(cp, [
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    topic,
    '--num-records',
    String(messages),
    '--record-size',
    String(size),
    '--throughput',
    '-1',
    '--command-property',
    `bootstrap.servers=${bootstrap}`,
    'acks=all',
  ])
  // "N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, P50 ms 50th, P95 ms 95th, P99 ms 99th, …"
  const p =
    /([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th/.exec(
      produced.output,
    )
  if (!p)
    throw new Error(
      `ProducerPerformance gave no summary (exit ${produced.code}):\n${produced.output.slice(-2000)}`,
    )
  const consumed = await runJava(cp, [
    'org.apache.kafka.tools.ConsumerPerformance',
    '--bootstrap-server',
    bootstrap,
    '--topic',
    topic,
    '--num-records',
    String(messages),
    '--group',
    unique('reference'),
  ])
  // CSV: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, …
  const line = consumed.output
    .split('\n')
    .find((l) => /^\d{4}-\d\d-\d\d .*, .*, [\d.]+, [\d.]+, \d+, [\d.]+/.test(l))
  if (!line)
    throw new Error(
      `ConsumerPerformance gave no summary (exit ${consumed.code}):\n${consumed.output.slice(-2000)}`,
    )
  const fields = line.split(',').map((f) => f.trim())
  return [
    {
      broker: 'kafka',
      tool: 'ProducerPerformance',
      role: 'produce',
      messages,
      size,
      msgPerSec: Number(p[1]),
      mbPerSec: Number(p[2]),
      avgMs: Number(p[3]),
      maxMs: Number(p[4]),
      p50Ms: Number(p[5]),
      p99Ms: Number(p[6]),
    },
    {
      broker: 'kafka',
      tool: 'ConsumerPerformance',
      role: 'consume',
      messages: Number(fields[4]),
      size,
      msgPerSec: Number(fields[5]),
      mbPerSec: Number(fields[3]),
    },
  ]
}

async function pulsar(serviceUrl: string, messages: number, size: number): Promise<ReferenceResult[]> {
  const cp = await brokerClasspath('pulsar-perf')
  const dir = mkdtempSync(join(tmpdir(), 'conduit-pulsar-perf-'))
  try {
    const conf = join(dir, 'client.conf')
    writeFileSync(conf, '')
    const log4j = join(dir, 'log4j2.properties')
    writeFileSync(
      log4j,
      [
        'appender.out.type = Console',
        'appender.out.name = out',
        'appender.out.layout.type = PatternLayout',
        'appender.out.layout.pattern = %m%n',
        'rootLogger.level = warn',
        'rootLogger.appenderRef.out.ref = out',
        'logger.perf.name = org.apache.pulsar.testclient',
        'logger.perf.level = info',
      ].join('\n'),
    )
    const tool = [
      '-Dlog4j2.configurationFile=' + log4j,
      'org.apache.pulsar.testclient.PulsarPerfTestTool',
      conf,
    ]
    const topic = unique('reference-pulsar')
    const produced = await runJava(cp, [
      ...tool,
      'produce',
      '-u',
      serviceUrl,
      '-m',
      String(messages),
      '-s',
      String(size),
      '-r',
      '100000000',
      topic,
    ])
    const consumed = await runJava(cp, [
      ...tool,
      'consume',
      '-u',
      serviceUrl,
      '-m',
      String(messages),
      '-sp',
      'Earliest',
      '-ss',
      unique('sub'),
      topic,
    ])
    const results: ReferenceResult[] = []
    for (const [role, run] of [
      ['produce', produced],
      ['consume', consumed],
    ] as const) {
      // "Aggregated throughput stats --- N records sent|received --- X msg/s --- Y Mbit/s"
      const t =
        /Aggregated throughput stats --- (\d+) records (?:sent|received) --- ([\d.]+) msg\/s --- ([\d.]+) Mbit\/s/.exec(
          run.output,
        )
      // "Aggregated latency stats --- Latency: mean: A ms - med: M - 95pct: … - 99pct: P - … - Max: X"
      const l =
        /Aggregated latency stats --- Latency: mean:\s*([\d.]+) ms - med:\s*([\d.]+) - 95pct:\s*[\d.]+ - 99pct:\s*([\d.]+).*Max:\s*([\d.]+)/.exec(
          run.output,
        )
      if (!t)
        throw new Error(`pulsar-perf ${role} gave no summary (exit ${run.code}):\n${run.output.slice(-2000)}`)
      results.push({
        broker: 'pulsar',
        tool: `pulsar-perf ${role}`,
        role,
        messages: Number(t[1]),
        size,
        msgPerSec: Number(t[2]),
        mbPerSec: (Number(t[3]) * 1e6) / 8 / MB,
        ...(l && Number(l[4]) > 0
          ? { avgMs: Number(l[1]), p50Ms: Number(l[2]), p99Ms: Number(l[3]), maxMs: Number(l[4]) }
          : {}),
      })
    }
    return results
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function rocketmq(namesrv: string, messages: number, size: number): Promise<ReferenceResult[]> {
  const cp = await brokerClasspath('rocketmq-example')
  const topic = unique('reference-rocketmq')
  // Produce first so the topic exists when the consumer subscribes (a new group on a topic whose
  // first offset is still 0 starts from the beginning). The benchmark consumer never stops by
  // itself: stop it once it consumed everything and reports idle, or after 20 idle reports.
  const produced = await runJava(cp, [
    'org.apache.rocketmq.example.benchmark.Producer',
    '-n',
    namesrv,
    '-t',
    topic,
    '-s',
    String(size),
    '-q',
    String(messages),
    '-w',
    '16',
    '-ri',
    '1000',
  ])
  const reports: number[] = []
  await runJava(
    cp,
    [
      // Otherwise the first rebalance (queue assignment) can take 20 s.
      '-Drocketmq.client.rebalance.waitInterval=1000',
      'org.apache.rocketmq.example.benchmark.Consumer',
      '-n',
      namesrv,
      '-t',
      topic,
      '-g',
      unique('reference'),
      '-ri',
      '1000',
    ],
    {
      stopWhen: (output) => {
        const tps = [...output.matchAll(/Consume TPS: (\d+)/g)].map((m) => Number(m[1]))
        reports.splice(0, reports.length, ...tps)
        const total = tps.reduce((a, b) => a + b, 0)
        const idle = tps.length - 1 - tps.findLastIndex((t) => t > 0)
        return (total >= messages && tps.at(-1) === 0) || idle >= 20
      },
      timeoutMs: 10 * 60_000,
    },
  )
  // "[Complete] Send Total: N | Send TPS: X | Max RT(ms): M | Average RT(ms): A | …"
  const p =
    /\[Complete\] Send Total: (\d+) \| Send TPS: (\d+) \| Max RT\(ms\): (\d+) \| Average RT\(ms\):\s*([\d.]+)/.exec(
      produced.output,
    )
  if (!p)
    throw new Error(
      `RocketMQ benchmark Producer gave no summary (exit ${produced.code}):\n${produced.output.slice(-2000)}`,
    )
  // Consumer TPS: the mean over the seconds in which it consumed.
  const busy = reports.filter((tps) => tps > 0)
  const consumeTps = busy.length ? busy.reduce((a, b) => a + b, 0) / busy.length : 0
  return [
    {
      broker: 'rocketmq',
      tool: 'benchmark.Producer',
      role: 'produce',
      messages: Number(p[1]),
      size,
      msgPerSec: Number(p[2]),
      mbPerSec: (Number(p[2]) * size) / MB,
      avgMs: Number(p[4]),
      maxMs: Number(p[3]),
    },
    {
      broker: 'rocketmq',
      tool: 'benchmark.Consumer',
      role: 'consume',
      messages: reports.reduce((a, b) => a + b, 0),
      size,
      msgPerSec: Math.round(consumeTps),
      mbPerSec: (consumeTps * size) / MB,
    },
  ]
}

/** Runs the official tools for one broker; starts the broker when none is running and no url is given. */
export async function runReference(
  kind: ReferenceBroker,
  options: ReferenceOptions = {},
): Promise<ReferenceResult[]> {
  const messages = options.messages ?? 100_000
  const size = options.size ?? 1024
  let owned: BrokerState | undefined
  let url = options.url
  if (!url) {
    const live = liveState(kind)
    if (live) url = live.url
    else {
      owned = await startBroker(kind)
      url = owned.url
    }
  }
  try {
    const address = url.slice(url.indexOf('://') + 3)
    if (kind === 'kafka') return await kafka(address, messages, size)
    if (kind === 'pulsar') return await pulsar(url, messages, size)
    return await rocketmq(address, messages, size)
  } finally {
    if (owned) await stopBroker(owned)
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const kind = args[0]
  if (kind !== 'kafka' && kind !== 'pulsar' && kind !== 'rocketmq') {
    throw new Error(
      'usage: npm run bench:reference -- kafka|pulsar|rocketmq [--messages N] [--size B] [--url URL]',
    )
  }
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`)
    return i >= 0 ? args[i + 1] : undefined
  }
  const results = await runReference(kind, {
    messages: number(flag('messages')),
    size: number(flag('size')),
    url: flag('url'),
  })
  for (const result of results) process.stdout.write(JSON.stringify(result) + '\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  })
}

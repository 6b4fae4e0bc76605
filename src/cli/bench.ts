// `conduit bench`: throughput and latency through any URL, on a fresh topic that is deleted after.

import { randomBytes } from 'node:crypto'
import type { Histogram } from '../core/histogram.ts'
import { redactUrl } from '../core/redact-url.ts'
import { flag, integerOption, noPositionals, UsageError, type CommandSpec, type ParsedArgs } from './args.ts'
import {
  HEADER_BYTES,
  runBench,
  type BenchProgress,
  type BenchResult,
  type BenchSettings,
} from './bench-run.ts'
import { withBroker, type Command, type CommandContext } from './context.ts'
import { EXIT } from './failure.ts'
import { writeTo } from './io.ts'
import { formatCount, formatDuration, formatMicros, formatRate, formatTable, plural } from './output.ts'
import { ProgressBar } from './progress.ts'

const spec: CommandSpec = {
  name: 'bench',
  summary: 'Measure produce and consume throughput and latency through the URL.',
  positionals: '',
  options: {
    messages: { type: 'string', value: 'N', description: 'messages to send (default 100000)' },
    size: {
      type: 'string',
      value: 'B',
      description: `bytes per message value, at least ${HEADER_BYTES} (default 100)`,
    },
    producers: { type: 'string', value: 'P', description: 'concurrent producers (default 1)' },
    consumers: { type: 'string', value: 'C', description: 'consumers in one group (default 1)' },
    batch: { type: 'string', value: 'M', description: 'messages per send() call (default 100)' },
    partitions: {
      type: 'string',
      value: 'N',
      description: 'partitions of the bench topic (default max(P, C))',
    },
    'timeout-ms': {
      type: 'string',
      value: 'T',
      description: 'fail after T ms without progress (default 30000)',
    },
    json: { type: 'boolean', description: 'print the result as one JSON object' },
  },
  details: `Creates a topic named conduit-bench-<random>, starts the consumers (one group, from earliest),
then the producers, and deletes the topic at the end. Latency is measured per message: produce→ack
from send() to the broker acknowledgement, end-to-end from send() to delivery to a consumer. MB/s
counts message values in 10^6 bytes. A progress bar is drawn on standard error when it is a terminal.`,
}

function settingsFrom(args: ParsedArgs): BenchSettings {
  const name = spec.name
  noPositionals(args, name)
  const messages = integerOption(args.values, 'messages', name, { min: 1, max: 2 ** 32 - 1 }) ?? 100_000
  const size = integerOption(args.values, 'size', name, { min: HEADER_BYTES, max: 1 << 30 }) ?? 100
  const producers = integerOption(args.values, 'producers', name, { min: 1, max: 256 }) ?? 1
  const consumers = integerOption(args.values, 'consumers', name, { min: 1, max: 256 }) ?? 1
  const batch = integerOption(args.values, 'batch', name, { min: 1, max: 100_000 }) ?? 100
  const partitions =
    integerOption(args.values, 'partitions', name, { min: 1, max: 10_000 }) ?? Math.max(producers, consumers)
  const idleTimeoutMs = integerOption(args.values, 'timeout-ms', name, { min: 1 }) ?? 30_000
  const suffix = randomBytes(4).toString('hex')
  return {
    messages,
    size,
    producers,
    consumers,
    batch,
    partitions,
    idleTimeoutMs,
    topic: `conduit-bench-${suffix}`,
    group: `conduit-bench-${suffix}`,
  }
}

interface PhaseFigures {
  messages: number
  seconds: number
  messagesPerSecond: number
  megabytesPerSecond: number
  latencyMicros: { p50: number; p99: number; p999: number; max: number }
}

function figures(messages: number, seconds: number, size: number, latency: Histogram): PhaseFigures {
  return {
    messages,
    seconds,
    messagesPerSecond: seconds > 0 ? messages / seconds : 0,
    megabytesPerSecond: seconds > 0 ? (messages * size) / 1e6 / seconds : 0,
    latencyMicros: {
      p50: latency.percentile(50),
      p99: latency.percentile(99),
      p999: latency.percentile(99.9),
      max: latency.max,
    },
  }
}

function report(url: string, s: BenchSettings, r: BenchResult): string {
  const produce = figures(r.acknowledged, r.produceSeconds, s.size, r.ackLatency)
  const e2e = figures(r.consumed, r.endToEndSeconds, s.size, r.endToEndLatency)
  const row = (label: string, f: PhaseFigures): (string | number)[] => [
    label,
    formatCount(f.messages),
    formatDuration(f.seconds * 1000),
    formatRate(f.messagesPerSecond),
    f.megabytesPerSecond.toFixed(1),
    formatMicros(f.latencyMicros.p50),
    formatMicros(f.latencyMicros.p99),
    formatMicros(f.latencyMicros.p999),
  ]
  let text =
    `conduit bench on ${url}\n${plural(s.messages, 'message')} of ${s.size} B; ` +
    `${plural(s.producers, 'producer')} (send batches of ${s.batch}), ${plural(s.consumers, 'consumer')}; ` +
    `${plural(s.partitions, 'partition')}\n\n`
  text += formatTable(
    ['', 'messages', 'time', 'msg/s', 'MB/s', 'p50', 'p99', 'p999'],
    [row('produce→ack', produce), row('end-to-end', e2e)],
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  )
  if (r.duplicates > 0)
    text += `\n${plural(r.duplicates, 'message')} delivered more than once (at-least-once)\n`
  if (r.interrupted) text += '\ninterrupted: figures cover the messages handled so far\n'
  return text
}

function reportJson(url: string, s: BenchSettings, r: BenchResult): string {
  return (
    JSON.stringify({
      url,
      messages: s.messages,
      size: s.size,
      producers: s.producers,
      consumers: s.consumers,
      batch: s.batch,
      partitions: s.partitions,
      produce: figures(r.acknowledged, r.produceSeconds, s.size, r.ackLatency),
      endToEnd: figures(r.consumed, r.endToEndSeconds, s.size, r.endToEndLatency),
      duplicates: r.duplicates,
      interrupted: r.interrupted,
    }) + '\n'
  )
}

async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const settings = settingsFrom(args)
  const result = await withBroker(ctx, async (broker) => {
    if (settings.size > broker.capabilities.maxMessageBytes) {
      throw new UsageError(
        `--size ${settings.size} exceeds the largest message this broker accepts (${broker.capabilities.maxMessageBytes} bytes)`,
        spec.name,
      )
    }
    await broker.admin.createTopic(settings.topic, { partitions: settings.partitions })
    const progress: BenchProgress = { acknowledged: 0, consumed: 0 }
    const bar = new ProgressBar(ctx.io.stderr, () => ({
      done: progress.consumed,
      total: settings.messages,
      detail: `acknowledged ${formatCount(progress.acknowledged)}, consumed ${formatCount(progress.consumed)}`,
    }))
    try {
      return await runBench(broker, settings, ctx.signal, progress)
    } finally {
      bar.stop()
      await broker.admin.deleteTopic(settings.topic).catch(async (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error)
        await writeTo(ctx.io.stderr, `warning: could not delete bench topic ${settings.topic}: ${reason}\n`)
      })
    }
  })
  if (result === undefined) return EXIT.interrupted
  const text = flag(args.values, 'json')
    ? reportJson(redactUrl(ctx.url), settings, result)
    : report(redactUrl(ctx.url), settings, result)
  await writeTo(ctx.io.stdout, text, ctx.signal)
  return result.interrupted ? EXIT.interrupted : EXIT.ok
}

export const benchCommand: Command = { spec, run }

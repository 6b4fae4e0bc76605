// `conduit consume <topic>`: prints messages and acknowledges exactly the ones it printed.
//
// Acknowledgement in the common contract is per batch, so a batch is printed whole and then acked,
// or not printed at all. With `--count`, a batch holding more messages than are still wanted is
// given back unprinted, and the consumer is reopened with maxBatch set to what remains, so the
// printed messages and the committed position always agree: acking the straddling batch would
// commit messages nobody saw, printing part of it would show some twice. The reopen happens at
// most once per run, because after it no batch can exceed what remains.
//
// Giving back is closing the consumer with the batch unacknowledged: every driver hands what a
// closed consumer did not ack to the next one, in its place in the partition (the conformance
// suite checks it). nack() would be wrong here: it reports a failed delivery, which counts toward
// maxRedeliveries, and RocketMQ sends a nacked message through %RETRY%<group> after a delay, out
// of its queue's order (and, if the send-back times out after the broker took it, twice).
//
// Stopping (Ctrl-C, --timeout-ms idle) never interrupts a batch being printed: that batch is
// finished and acked, then the consumer is closed, which commits and leaves the group. When stdout's
// reader goes away (`| head`), the batch being printed is given back instead.

import type { Batch, Broker, Consumer, ConsumerOptions, Message, StartPosition } from '../core/contract.ts'
import { UnsupportedError } from '../core/errors.ts'
import {
  choiceOption,
  flag,
  UsageError,
  integerOption,
  onePositional,
  parseStartPosition,
  stringOption,
  type CommandSpec,
  type ParsedArgs,
} from './args.ts'
import { isMissingData, withBroker, type Command, type CommandContext } from './context.ts'
import { EXIT } from './failure.ts'
import { writeTo } from './io.ts'
import { endTracker } from './exit-at-end.ts'
import { messageToJson } from './message-json.ts'
import { plural } from './output.ts'
import { requireTopic, topicNotFound } from './topic-exists.ts'

const spec: CommandSpec = {
  name: 'consume',
  summary: 'Print the messages of a topic, acknowledging each one printed.',
  positionals: '<topic>',
  options: {
    group: {
      type: 'string',
      value: 'G',
      description: 'consumer group: commits its position, splits partitions',
    },
    from: {
      type: 'string',
      value: 'POS',
      description: 'earliest (default), latest, an offset, or an ISO time; for a group only without a commit',
    },
    count: { type: 'string', value: 'N', description: 'stop after N messages' },
    'timeout-ms': { type: 'string', value: 'T', description: 'stop after T ms without a message' },
    'exit-at-end': {
      type: 'boolean',
      description: 'stop at the end of every partition as it was at the start (like kcat -e)',
    },
    'skip-damaged': {
      type: 'boolean',
      description: 'file: broker: move past damaged ranges of the log (each skip is a warning)',
    },
    format: {
      type: 'string',
      value: 'value|json',
      description: 'value: the value and a newline (default); json: one object per line',
    },
  },
  details: `With --format json each line is
{"topic","partition","offset","key","value","headers","timestamp"}; a value that is not valid UTF-8 is
base64 with "encoding":"base64" (a key: "keyEncoding":"base64"). Without --count or --timeout-ms it
runs until Ctrl-C, which stops fetching and commits what was printed. A summary goes to standard error.
With --exit-at-end it stops once every partition was printed up to its last message as of the
start (messages that arrive meanwhile may be printed too); with a group, use a group of one, since
partitions held by other members never reach this consumer. Not with --from <time> unless the
group has committed on every partition. On a Kafka topic whose last record is a transaction
marker (written by a transactional producer) the end is never seen: add --timeout-ms. A topic that
does not exist is an error (exit 1): it is never created by consuming.`,
}

function renderMessage(message: Message, format: 'value' | 'json'): string | Uint8Array {
  if (format === 'json') return JSON.stringify(messageToJson(message)) + '\n'
  const value = message.value ?? new Uint8Array(0)
  const line = new Uint8Array(value.length + 1)
  line.set(value)
  line[value.length] = 0x0a
  return line
}

/** Largest batch asked for when --count is given; the driver's default applies otherwise. */
const COUNT_BATCH_CAP = 500

interface ConsumeSettings {
  topic: string
  group: string | undefined
  from: StartPosition
  count: number | undefined
  idleMs: number | undefined
  exitAtEnd: boolean
  format: 'value' | 'json'
  skipDamaged: boolean
}

function settingsFrom(args: ParsedArgs): ConsumeSettings {
  const fromRaw = stringOption(args.values, 'from')
  const settings: ConsumeSettings = {
    topic: onePositional(args, 'topic', spec.name),
    group: stringOption(args.values, 'group'),
    from: fromRaw === undefined ? 'earliest' : parseStartPosition(fromRaw, spec.name),
    count: integerOption(args.values, 'count', spec.name, { min: 1 }),
    idleMs: integerOption(args.values, 'timeout-ms', spec.name, { min: 1 }),
    exitAtEnd: flag(args.values, 'exit-at-end'),
    format: choiceOption(args.values, 'format', ['value', 'json'] as const, 'value', spec.name),
    skipDamaged: flag(args.values, 'skip-damaged'),
  }
  if (settings.exitAtEnd && settings.from instanceof Date && settings.group === undefined) {
    throw new UsageError(
      '--exit-at-end cannot tell where --from <time> starts in each partition; use earliest, latest or an offset',
      spec.name,
    )
  }
  return settings
}

const STOPPED: unique symbol = Symbol('stopped')

/** The next batch, or STOPPED when `stop` fires first; a batch arriving after that is given back. */
async function nextBatch(
  iterator: AsyncIterator<Batch>,
  stop: AbortSignal,
): Promise<IteratorResult<Batch> | typeof STOPPED> {
  if (stop.aborted) return STOPPED
  const pending = iterator.next()
  let onStop = (): void => {}
  const stopped = new Promise<typeof STOPPED>((resolve) => {
    onStop = () => resolve(STOPPED)
    stop.addEventListener('abort', onStop, { once: true })
  })
  try {
    const result = await Promise.race([pending, stopped])
    // A batch arriving after the stop stays unacknowledged: the consumer's close gives it back.
    if (result === STOPPED) pending.catch(() => {})
    return result
  } finally {
    stop.removeEventListener('abort', onStop)
  }
}

interface ConsumeOutcome {
  printed: number
  idle: boolean
  atEnd: boolean
}

async function consumeAll(ctx: CommandContext, broker: Broker, s: ConsumeSettings): Promise<ConsumeOutcome> {
  const open = (maxBatch: number | undefined): Promise<Consumer> => {
    const options: ConsumerOptions = { topic: s.topic, from: s.from }
    if (s.group !== undefined) options.group = s.group
    if (maxBatch !== undefined) options.maxBatch = maxBatch
    if (s.skipDamaged) options.skipDamaged = true
    return broker.consumer(options)
  }
  const outcome: ConsumeOutcome = { printed: 0, idle: false, atEnd: false }
  // The ends are taken before subscribing: "the end" is where each partition was at the start.
  const tracker = s.exitAtEnd ? await endTracker(broker, s) : undefined
  if (tracker?.finished) {
    outcome.atEnd = true
    return outcome
  }
  const stop = new AbortController()
  const onInterrupt = (): void => stop.abort()
  ctx.signal.addEventListener('abort', onInterrupt, { once: true })
  if (ctx.signal.aborted) stop.abort()
  let idleTimer: NodeJS.Timeout | undefined
  const armIdleTimer = (): void => {
    if (s.idleMs === undefined) return
    clearTimeout(idleTimer)
    idleTimer = setTimeout(() => {
      outcome.idle = true
      stop.abort()
    }, s.idleMs)
  }

  let maxBatch = s.count === undefined ? undefined : Math.min(s.count, COUNT_BATCH_CAP)
  let consumer = await open(maxBatch)
  // Waiting for messages must keep the process alive by itself: an embedded broker has no socket
  // open, and Node would otherwise exit (code 13, unsettled top-level await) instead of waiting.
  const keepAlive = setInterval(() => {}, 1 << 30)
  try {
    let iterator = consumer[Symbol.asyncIterator]()
    armIdleTimer()
    while (s.count === undefined || outcome.printed < s.count) {
      const result = await nextBatch(iterator, stop.signal)
      if (result === STOPPED || result.done) break
      const batch = result.value
      // Idle means no message arrived; time spent printing a batch does not count.
      clearTimeout(idleTimer)
      const wanted = s.count === undefined ? Infinity : s.count - outcome.printed
      // Without a group nothing is committed, and a reopened consumer would start over from
      // --from: the straddling batch is printed up to the count instead, and the run ends.
      const messages = s.group === undefined ? batch.messages.slice(0, wanted) : batch.messages
      if (messages.length > wanted) {
        // Not acked: closing the consumer gives the batch back (see the top of this file).
        if (maxBatch !== undefined && batch.messages.length > maxBatch) {
          throw new UnsupportedError(
            `the ${broker.url} driver delivered a batch of ${batch.messages.length} messages although ` +
              `maxBatch was ${maxBatch}, so --count cannot stop exactly; the batch was given back`,
          )
        }
        await consumer.close()
        maxBatch = wanted
        consumer = await open(maxBatch)
        iterator = consumer[Symbol.asyncIterator]()
        armIdleTimer()
        continue
      }
      for (const message of messages) {
        if (ctx.io.stdoutClosed.aborted) break
        await writeTo(ctx.io.stdout, renderMessage(message, s.format), ctx.signal)
      }
      if (ctx.io.stdoutClosed.aborted) {
        // The reader left mid-batch; which messages it read is unknowable, so give the batch
        // back (unacked, to the close below) rather than commit messages nobody may have seen.
        break
      }
      await batch.ack()
      outcome.printed += messages.length
      if (tracker) {
        for (const message of messages) tracker.printed(message)
        if (tracker.finished) {
          outcome.atEnd = true
          break
        }
      }
      armIdleTimer()
    }
  } finally {
    clearInterval(keepAlive)
    clearTimeout(idleTimer)
    ctx.signal.removeEventListener('abort', onInterrupt)
    // Commits what was acknowledged and leaves the group.
    await consumer.close()
  }
  return outcome
}

async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const s = settingsFrom(args)
  const outcome = await withBroker(
    ctx,
    async (broker) => {
      // Subscribing would create a missing topic on every broker, then wait on it forever.
      await requireTopic(broker, s.topic)
      return consumeAll(ctx, broker, s)
    },
    { lookOnly: true },
  ).catch((error: unknown) => {
    throw isMissingData(error) ? topicNotFound(s.topic, error.message) : error
  })
  if (outcome === undefined) return EXIT.interrupted
  let summary = `consumed ${plural(outcome.printed, 'message')} from "${s.topic}"`
  if (s.group !== undefined) summary += ` as group "${s.group}" (acknowledged and committed)`
  if (outcome.atEnd) summary += '; reached the end of every partition'
  if (outcome.idle) summary += `; stopped after ${s.idleMs} ms without a message`
  if (ctx.io.stdoutClosed.aborted)
    summary += '; stdout closed by its reader, the batch being printed was given back'
  else if (ctx.signal.aborted) summary += '; interrupted'
  await writeTo(ctx.io.stderr, summary + '\n')
  return ctx.signal.aborted ? EXIT.interrupted : EXIT.ok
}

export const consumeCommand: Command = { spec, run }

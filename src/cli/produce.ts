// `conduit produce <topic>`: one message per line of standard input, sent as it is read, with a
// bounded number in flight. Every message is counted as acknowledged or failed; the run fails
// (exit 1) when any message was not acknowledged, and says which lines and why.

import type { MessageInput, Producer } from '../core/contract.ts'
import { ConduitError, MessageTooLargeError } from '../core/errors.ts'
import {
  choiceOption,
  integerOption,
  onePositional,
  parseHeaders,
  stringList,
  stringOption,
  type CommandSpec,
  type ParsedArgs,
} from './args.ts'
import { untilAborted, withBroker, type Command, type CommandContext } from './context.ts'
import { EXIT } from './failure.ts'
import { writeTo } from './io.ts'
import { readLines } from './lines.ts'
import { parseJsonMessage } from './message-json.ts'
import { formatDuration, plural } from './output.ts'

const spec: CommandSpec = {
  name: 'produce',
  summary: 'Send one message per line of standard input to a topic.',
  positionals: '<topic>',
  options: {
    key: {
      type: 'string',
      value: 'K',
      description: 'message key for every message (JSON input may set its own)',
    },
    header: { type: 'string', multiple: true, value: 'k=v', description: 'add a header to every message' },
    partition: {
      type: 'string',
      value: 'N',
      description: 'send to this partition instead of hashing the key',
    },
    format: {
      type: 'string',
      value: 'lines|json',
      description: 'lines: each line is a value (default); json: {"key","value","headers"} per line',
    },
  },
  details: `Each line is one message; a trailing CR is dropped. With --format json each line is an object
{"key": "k", "value": "v", "headers": {"a": "b"}}; "encoding":"base64" marks a binary value and
"keyEncoding":"base64" a binary key, as printed by "conduit consume --format json", so the output of
consume can be produced again. A summary goes to standard error; the exit code is 1 when any message
was not acknowledged by the broker.`,
}

/** Messages sent but not yet acknowledged; enough to keep a network broker busy, bounded memory. */
const IN_FLIGHT = 1024
/** How many failed lines are listed one by one before they are only counted. */
const LISTED_FAILURES = 5
/** Upper bound of one input line whatever the broker accepts (the line is held in memory). */
const LINE_CAP = 512 * 1024 * 1024

interface Tally {
  read: number
  acknowledged: number
  failed: number
  failures: string[]
}

function failureLine(error: unknown): string {
  if (error instanceof ConduitError) return `error [${error.code}]: ${error.message}`
  return `error: ${error instanceof Error ? error.message : String(error)}`
}

function recordFailure(tally: Tally, lineNumber: number, error: unknown): void {
  tally.failed++
  if (tally.failures.length < LISTED_FAILURES)
    tally.failures.push(`line ${lineNumber}: ${failureLine(error)}`)
}

interface ProduceSettings {
  topic: string
  format: 'lines' | 'json'
  key: string | undefined
  headers: Record<string, string>
  partition: number | undefined
}

function settingsFrom(args: ParsedArgs): ProduceSettings {
  return {
    topic: onePositional(args, 'topic', spec.name),
    format: choiceOption(args.values, 'format', ['lines', 'json'] as const, 'lines', spec.name),
    key: stringOption(args.values, 'key'),
    headers: parseHeaders(stringList(args.values, 'header'), spec.name),
    partition: integerOption(args.values, 'partition', spec.name),
  }
}

function messageFrom(bytes: Uint8Array, settings: ProduceSettings): MessageInput {
  let message: MessageInput
  if (settings.format === 'json') {
    const parsed = parseJsonMessage(new TextDecoder().decode(bytes))
    message = { ...parsed, headers: { ...settings.headers, ...parsed.headers } }
    if (message.key === undefined && settings.key !== undefined) message.key = settings.key
  } else {
    message = { value: bytes, headers: settings.headers }
    if (settings.key !== undefined) message.key = settings.key
  }
  if (settings.partition !== undefined) message.partition = settings.partition
  return message
}

async function produceAll(
  ctx: CommandContext,
  producer: Producer,
  settings: ProduceSettings,
  maxBytes: number,
): Promise<Tally> {
  const tally: Tally = { read: 0, acknowledged: 0, failed: 0, failures: [] }
  const inFlight = new Set<Promise<void>>()
  // JSON may escape every byte (\u0000 is 6 characters) and base64 adds a third.
  const maxLine = Math.min(LINE_CAP, settings.format === 'json' ? maxBytes * 6 + 65536 : maxBytes)
  for await (const line of untilAborted(readLines(ctx.io.stdin, maxLine), ctx.signal)) {
    tally.read++
    if ('tooLong' in line) {
      recordFailure(tally, line.number, new MessageTooLargeError(line.tooLong, maxLine))
      continue
    }
    let sending: Promise<unknown>
    try {
      sending = producer.send(messageFrom(line.bytes, settings))
    } catch (error) {
      recordFailure(tally, line.number, error)
      continue
    }
    const settled: Promise<void> = sending.then(
      () => {
        tally.acknowledged++
      },
      (error: unknown) => recordFailure(tally, line.number, error),
    )
    inFlight.add(settled)
    void settled.finally(() => inFlight.delete(settled))
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight)
  }
  // Also on Ctrl-C: what was handed to the producer is waited for, so the summary is exact.
  await Promise.all(inFlight)
  return tally
}

async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const settings = settingsFrom(args)
  const started = performance.now()
  const tally = await withBroker(ctx, async (broker) => {
    const producer = await broker.producer({ topic: settings.topic })
    try {
      return await produceAll(ctx, producer, settings, broker.capabilities.maxMessageBytes)
    } finally {
      await producer.close()
    }
  })
  if (!tally) return EXIT.interrupted
  const elapsed = formatDuration(performance.now() - started)
  let summary = `produced ${plural(tally.acknowledged, 'message')} to "${settings.topic}" in ${elapsed}`
  if (tally.failed > 0) {
    summary += `; ${plural(tally.failed, 'message')} NOT acknowledged:\n  ${tally.failures.join('\n  ')}`
    if (tally.failed > tally.failures.length)
      summary += `\n  … and ${tally.failed - tally.failures.length} more`
  }
  if (ctx.signal.aborted) summary += '\ninterrupted: stopped reading standard input'
  await writeTo(ctx.io.stderr, summary + '\n')
  if (tally.failed > 0) return EXIT.failure
  return ctx.signal.aborted ? EXIT.interrupted : EXIT.ok
}

export const produceCommand: Command = { spec, run }

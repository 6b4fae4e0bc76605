// `conduit quickstart`: a guided run on the embedded broker. It shows, with real calls and their
// real results, the whole common contract: create a topic, send keyed messages and see the
// acknowledgements, consume as a group batch by batch, watch the group's lag fall as batches are
// acknowledged — and then how to point the same commands at a real broker.

import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Broker, GroupDescription } from '../core/contract.ts'
import { redactUrl } from '../core/redact-url.ts'
import { connect } from '../index.ts'
import { flag, noPositionals, stringOption, type CommandSpec, type ParsedArgs } from './args.ts'
import type { Command, CommandContext } from './context.ts'
import { EXIT } from './failure.ts'
import { writeTo } from './io.ts'
import { formatTable } from './output.ts'
import { formatTopic } from './topics.ts'

const spec: CommandSpec = {
  name: 'quickstart',
  summary: 'A guided tour on the embedded broker: topic, produce, consume as a group, lag and acks.',
  positionals: '',
  options: {
    keep: { type: 'boolean', description: 'keep the temporary broker directory and print its path' },
  },
  details: `Runs on a fresh embedded durable broker (file: in a temporary directory) unless --url is given;
with --url it uses topic and group names with a random suffix and deletes the topic at the end.`,
}

const ORDERS = [
  { key: 'alice', value: 'order 1: 2 books' },
  { key: 'dave', value: 'order 2: 1 lamp' },
  { key: 'alice', value: 'order 3: 1 pen' },
  { key: 'carol', value: 'order 4: 3 mugs' },
  { key: 'dave', value: 'order 5: 1 desk' },
  { key: 'alice', value: 'order 6: 5 cards' },
] as const

function lagTable(group: GroupDescription): string {
  const rows = [...group.offsets]
    .sort((a, b) => a.partition - b.partition)
    .map((o) => [o.partition, o.committed, o.end, o.lag])
  const total = group.offsets.reduce((sum, o) => sum + o.lag, 0)
  return indent(formatTable(['partition', 'committed', 'end', 'lag'], rows) + `total lag: ${total}`)
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `     ${line}` : line))
    .join('\n')
}

async function tour(ctx: CommandContext, broker: Broker, topic: string, group: string): Promise<void> {
  const say = (text: string): Promise<void> => writeTo(ctx.io.stdout, text + '\n', ctx.signal)

  await say(
    `\n2. Create a topic with 3 partitions\n   await broker.admin.createTopic('${topic}', { partitions: 3 })`,
  )
  await broker.admin.createTopic(topic, { partitions: 3 })
  await say(indent(formatTopic(await broker.admin.describeTopic(topic))))

  await say(
    `3. Produce ${ORDERS.length} orders keyed by customer: one key always lands on the same partition,\n` +
      `   so one customer's orders stay in order. send() resolves when the broker acknowledged.\n` +
      `   const producer = await broker.producer({ topic: '${topic}' })`,
  )
  const producer = await broker.producer({ topic })
  const calls = ORDERS.map((o) => `   await producer.send({ key: '${o.key}', value: '${o.value}' })`)
  const width = Math.max(...calls.map((c) => c.length))
  for (const [i, order] of ORDERS.entries()) {
    const ack = await producer.send({ ...order, headers: { source: 'quickstart' } })
    await say(`${calls[i]!.padEnd(width)}  → partition ${ack.partition}, offset ${ack.offset}`)
    if (ctx.signal.aborted) return
  }
  await producer.close()

  await say(
    `\n4. Consume as group "${group}", two messages per batch. Acknowledging a batch moves the\n` +
      `   group's committed position past it; the lag is what the group has not acknowledged yet.\n` +
      `   const consumer = await broker.consumer({ topic: '${topic}', group: '${group}', from: 'earliest', maxBatch: 2 })\n` +
      `   for await (const batch of consumer) { …; await batch.ack() }\n` +
      `   A nack() hands a batch back instead: it is delivered again (at-least-once).`,
  )
  const consumer = await broker.consumer({ topic, group, from: 'earliest', maxBatch: 2 })
  let received = 0
  let batches = 0
  let nacked = false
  try {
    for await (const batch of consumer) {
      batches++
      await say(`   batch ${batches}:`)
      for (const m of batch.messages) {
        const again =
          m.redeliveryCount > 0 ? `   (delivered again: redeliveryCount ${m.redeliveryCount})` : ''
        await say(
          `     partition ${m.partition} offset ${m.offset}  ${m.keyString()}: ${m.valueString()}${again}`,
        )
      }
      if (batches === 1) {
        await say(`   before ack(), the group "${group}" has committed nothing for this batch:`)
        await say(lagTable(await broker.admin.describeGroup(group)))
      }
      if (batches === 2 && !nacked) {
        // Show at-least-once: a batch given back comes again, marked as a redelivery.
        nacked = true
        await batch.nack()
        await say('   → nack(): this batch is handed back and will be delivered again')
        continue
      }
      await batch.ack()
      received += batch.messages.length
      if (batches === 1) {
        await say(`   after ack():`)
        await say(lagTable(await broker.admin.describeGroup(group)))
      } else {
        await say('   → ack()')
      }
      if (received >= ORDERS.length || ctx.signal.aborted) break
    }
  } finally {
    await consumer.close()
  }
  await say(`   all ${received} orders acknowledged in ${batches} batches; the group's lag is now:`)
  await say(lagTable(await broker.admin.describeGroup(group)))
}

function nextSteps(): string {
  // `npx conduit` finds the installed package's bin, and in a checkout of this repository the
  // repository's own (bin/conduit.js runs the sources there).
  const conduit = 'npx conduit'
  return `5. What to try next

   The same commands work on every broker; they default to the durable embedded broker in ./.conduit:
     echo "hello" | ${conduit} produce greetings
     ${conduit} consume greetings --group readers --count 1 --format json
     ${conduit} groups describe readers
     ${conduit} topics list
     ${conduit} bench --messages 100000

   Against a real broker, pass its URL with --url or set CONDUIT_URL:
     --url kafka://127.0.0.1:9092        Apache Kafka
     --url pulsar://127.0.0.1:6650       Apache Pulsar (binary protocol)
     --url ws://127.0.0.1:8080           Apache Pulsar WebSocket API
     --url rocketmq://127.0.0.1:9876     Apache RocketMQ (name server)
     --url memory:                       the embedded broker, in memory only

   Every command has --help; see README.md for the API tour.
`
}

async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  noPositionals(args, spec.name)
  const explicitUrl = stringOption(args.values, 'url')
  const keep = flag(args.values, 'keep')
  let dir: string | undefined
  let url: string
  let topic = 'orders'
  let group = 'billing'
  if (explicitUrl === undefined) {
    dir = await mkdtemp(join(tmpdir(), 'conduit-quickstart-'))
    url = `file:${dir}`
  } else {
    const suffix = randomBytes(3).toString('hex')
    url = explicitUrl
    topic = `orders-${suffix}`
    group = `billing-${suffix}`
  }
  try {
    await writeTo(
      ctx.io.stdout,
      `Conduit quickstart: one API for Kafka, Pulsar, RocketMQ and the embedded broker.\n\n` +
        `1. Connect — the URL picks the broker\n   const broker = await connect('${redactUrl(url)}')\n`,
    )
    const broker = await connect(url, ctx.connectOptions)
    try {
      await tour(ctx, broker, topic, group)
      if (explicitUrl !== undefined) await broker.admin.deleteTopic(topic)
    } finally {
      await broker.close()
    }
    if (ctx.signal.aborted) return EXIT.interrupted
    await writeTo(ctx.io.stdout, '\n' + nextSteps())
    if (dir && keep) await writeTo(ctx.io.stdout, `\n(the quickstart broker's files are kept in ${dir})\n`)
    return EXIT.ok
  } finally {
    if (dir && !keep) await rm(dir, { recursive: true, force: true })
  }
}

export const quickstartCommand: Command = { spec, run }

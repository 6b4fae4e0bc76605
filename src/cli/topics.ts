// `conduit topics list|create|delete|describe`: the contract's Admin topic calls.

import type { CreateTopicOptions, TopicDescription } from '../core/contract.ts'
import {
  flag,
  integerOption,
  noPositionals,
  onePositional,
  parseHeaders,
  stringList,
  type CommandSpec,
  type OptionSpec,
  type ParsedArgs,
} from './args.ts'
import { isMissingData, withBroker, type Command, type CommandContext, type CommandGroup } from './context.ts'
import { EXIT } from './failure.ts'
import { writeTo } from './io.ts'
import { formatTable, plural } from './output.ts'
import { listedTopic, requireTopic, topicNotFound } from './topic-exists.ts'

const json: OptionSpec = { type: 'boolean', description: 'print JSON instead of text' }

function done(ctx: CommandContext, result: unknown): number {
  return result === undefined && ctx.signal.aborted ? EXIT.interrupted : EXIT.ok
}

const list: Command = {
  spec: {
    name: 'topics list',
    summary: 'List the topics, one per line.',
    positionals: '',
    options: { json },
    details: `Creates nothing: on a file: directory that does not exist it prints no topics and says so
on standard error.`,
  },
  async run(ctx, args) {
    noPositionals(args, 'topics list')
    let topics: string[] | undefined
    try {
      topics = await withBroker(ctx, (broker) => broker.admin.listTopics(), { lookOnly: true })
    } catch (error) {
      if (!isMissingData(error)) throw error
      // Nothing there yet is an empty list, not a failure (scripts loop over the output); the
      // note says why, in case the user expected data at that path.
      await writeTo(ctx.io.stderr, `note: ${error.message}, so there are no topics\n`)
      topics = []
    }
    if (topics === undefined) return EXIT.interrupted
    const sorted = [...topics].sort()
    const text = flag(args.values, 'json')
      ? JSON.stringify(sorted) + '\n'
      : sorted.map((t) => `${t}\n`).join('')
    await writeTo(ctx.io.stdout, text, ctx.signal)
    return EXIT.ok
  },
}

const createSpec: CommandSpec = {
  name: 'topics create',
  summary: 'Create a topic.',
  positionals: '<topic>',
  options: {
    partitions: { type: 'string', value: 'N', description: 'number of partitions (default 1)' },
    'replication-factor': {
      type: 'string',
      value: 'R',
      description: 'replicas per partition, where the broker has them',
    },
    config: {
      type: 'string',
      multiple: true,
      value: 'k=v',
      description: 'topic setting, passed to the broker as is',
    },
    'if-not-exists': {
      type: 'boolean',
      description: 'succeed (exit 0) when the topic exists already, leaving it as it is',
    },
  },
}

const create: Command = {
  spec: createSpec,
  async run(ctx, args: ParsedArgs) {
    const topic = onePositional(args, 'topic', createSpec.name)
    const options: CreateTopicOptions = {
      partitions: integerOption(args.values, 'partitions', createSpec.name, { min: 1, max: 1_000_000 }) ?? 1,
    }
    const replication = integerOption(args.values, 'replication-factor', createSpec.name, {
      min: 1,
      max: 1000,
    })
    if (replication !== undefined) options.replicationFactor = replication
    const config = stringList(args.values, 'config')
    if (config.length > 0) options.config = parseHeaders(config, createSpec.name)
    const ifNotExists = flag(args.values, 'if-not-exists')
    const result = await withBroker(ctx, async (broker) => {
      // Asked before creating: each broker reports an existing topic its own way (Kafka
      // TOPIC_ALREADY_EXISTS, Pulsar HTTP 409, the embedded broker a ConfigError); the list is common.
      if (ifNotExists && listedTopic(await broker.admin.listTopics(), topic)) return 'exists' as const
      await broker.admin.createTopic(topic, options)
      return 'created' as const
    })
    if (result === 'created')
      await writeTo(
        ctx.io.stderr,
        `created topic "${topic}" with ${plural(options.partitions!, 'partition')}\n`,
      )
    else if (result === 'exists')
      await writeTo(ctx.io.stderr, `topic "${topic}" exists already; left as it is\n`)
    return done(ctx, result)
  },
}

const remove: Command = {
  spec: {
    name: 'topics delete',
    summary: 'Delete a topic and its messages.',
    positionals: '<topic>',
    options: {},
  },
  async run(ctx, args) {
    const topic = onePositional(args, 'topic', 'topics delete')
    const result = await withBroker(
      ctx,
      async (broker) => {
        await broker.admin.deleteTopic(topic)
        return true
      },
      { lookOnly: true },
    ).catch((error: unknown) => {
      throw isMissingData(error) ? topicNotFound(topic, error.message) : error
    })
    if (result) await writeTo(ctx.io.stderr, `deleted topic "${topic}"\n`)
    return done(ctx, result)
  },
}

/** The partitions table; the broker's topic settings only when asked (Kafka reports dozens). */
export function formatTopic(description: TopicDescription, withConfigs = false): string {
  // Brokers without leaders (the embedded one) get no leader column rather than a column of dashes.
  const leaders = description.partitions.some((p) => p.leader !== undefined)
  const rows = description.partitions.map((p) => [
    p.partition,
    ...(leaders ? [p.leader ?? null] : []),
    p.earliest ?? null,
    p.latest ?? null,
    p.earliest !== undefined && p.latest !== undefined ? p.latest - p.earliest : null,
  ])
  const headers = ['partition', ...(leaders ? ['leader'] : []), 'earliest', 'latest', 'messages']
  let text = `topic "${description.name}": ${plural(description.partitions.length, 'partition')}\n`
  text += formatTable(
    headers,
    rows,
    headers.map((h) => (h === 'leader' ? 'left' : 'right')),
  )
  // The durable embedded broker lists the damaged ranges of its logs (docs/architecture.md).
  for (const p of description.partitions) {
    for (const d of p.damaged ?? []) {
      const offsets = d.to === null ? `offsets ${d.from} and later` : `offsets ${d.from} to ${d.to - 1}`
      text += `${d.kind === 'truncated' ? 'cut' : 'damaged'}: partition ${p.partition} ${offsets} (${d.bytes} bytes of ${d.file}): ${d.reason}
`
    }
  }
  if (withConfigs) {
    const configs = Object.entries(description.config ?? {}).sort(([a], [b]) => a.localeCompare(b))
    for (const [k, v] of configs) text += `config ${k}=${v}\n`
  }
  return text
}

const describe: Command = {
  spec: {
    name: 'topics describe',
    summary: 'Show the partitions of a topic with their earliest and latest offsets.',
    positionals: '<topic>',
    options: {
      json,
      configs: { type: 'boolean', description: 'also list the topic settings the broker reports' },
    },
    details: 'A topic that does not exist is an error (exit 1); describing it never creates it.',
  },
  async run(ctx, args) {
    const topic = onePositional(args, 'topic', 'topics describe')
    const description = await withBroker(
      ctx,
      async (broker) => {
        // Kafka's metadata request would create a missing topic while describing it.
        await requireTopic(broker, topic)
        return broker.admin.describeTopic(topic)
      },
      { lookOnly: true },
    ).catch((error: unknown) => {
      throw isMissingData(error) ? topicNotFound(topic, error.message) : error
    })
    if (description === undefined) return EXIT.interrupted
    const text = flag(args.values, 'json')
      ? JSON.stringify(description) + '\n'
      : formatTopic(description, flag(args.values, 'configs'))
    await writeTo(ctx.io.stdout, text, ctx.signal)
    return EXIT.ok
  },
}

export const topicsGroup: CommandGroup = {
  name: 'topics',
  summary: 'List, create, delete and describe topics.',
  commands: [list, create, remove, describe],
}

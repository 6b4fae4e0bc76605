// `conduit groups list|describe`: consumer groups, their members and their lag per partition.

import type { Broker, GroupDescription } from '../core/contract.ts'
import { flag, noPositionals, onePositional, type OptionSpec } from './args.ts'
import { NotFoundError } from '../core/errors.ts'
import { isMissingData, withBroker, type Command, type CommandGroup } from './context.ts'
import { EXIT } from './failure.ts'
import { writeTo } from './io.ts'
import { formatCount, formatTable, plural } from './output.ts'

const json: OptionSpec = { type: 'boolean', description: 'print JSON instead of text' }

const list: Command = {
  spec: {
    name: 'groups list',
    summary: 'List the consumer groups, one per line.',
    positionals: '',
    options: { json },
    details: `Creates nothing: on a file: directory that does not exist it prints no groups and says so
on standard error.`,
  },
  async run(ctx, args) {
    noPositionals(args, 'groups list')
    let groups: string[] | undefined
    try {
      groups = await withBroker(ctx, (broker) => broker.admin.listGroups(), { lookOnly: true })
    } catch (error) {
      if (!isMissingData(error)) throw error
      await writeTo(ctx.io.stderr, `note: ${error.message}, so there are no groups\n`)
      groups = []
    }
    if (groups === undefined) return EXIT.interrupted
    const sorted = [...groups].sort()
    const text = flag(args.values, 'json')
      ? JSON.stringify(sorted) + '\n'
      : sorted.map((g) => `${g}\n`).join('')
    await writeTo(ctx.io.stdout, text, ctx.signal)
    return EXIT.ok
  },
}

/** A lag row; committed and lag are unknown for a partition the group never committed on. */
export interface LagRow {
  topic: string
  partition: number
  committed: number | null
  end: number | null
  lag: number | null
}

export function formatGroup(
  description: GroupDescription,
  rows: readonly LagRow[] = description.offsets,
): string {
  let text = `group "${description.group}": ${description.state}, ${plural(description.members.length, 'member')}\n`
  if (description.members.length > 0) {
    const members = description.members.map((m) => [
      m.id,
      m.client ?? null,
      m.host ?? null,
      m.assignments.map((a) => `${a.topic}/${a.partition}`).join(' ') || null,
    ])
    text += '\n' + formatTable(['member', 'client', 'host', 'partitions'], members)
  }
  const offsets = [...rows].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
  text +=
    '\n' +
    formatTable(
      ['topic', 'partition', 'committed', 'end', 'lag'],
      offsets.map((o) => [o.topic, o.partition, o.committed, o.end, o.lag]),
      ['left', 'right', 'right', 'right', 'right'],
    )
  const total = offsets.reduce((sum, o) => sum + (o.lag ?? 0), 0)
  const unknown = offsets.filter((o) => o.lag === null).length
  text += `total lag: ${formatCount(total)}`
  if (unknown > 0) text += ` (not counting ${plural(unknown, 'partition')} without a commit)`
  return text + '\n'
}

/**
 * The group's offsets plus, for each topic it has committed on, the partitions it has no commit
 * for yet: brokers report only committed partitions (Kafka's OffsetFetch does the same), and a
 * table without them would understate the work left.
 */
async function lagRows(broker: Broker, description: GroupDescription): Promise<LagRow[]> {
  const rows: LagRow[] = [...description.offsets]
  for (const topic of new Set(description.offsets.map((o) => o.topic))) {
    const known = new Set(description.offsets.filter((o) => o.topic === topic).map((o) => o.partition))
    const partitions = (await broker.admin.describeTopic(topic)).partitions
    for (const p of partitions) {
      if (!known.has(p.partition))
        rows.push({ topic, partition: p.partition, committed: null, end: p.latest ?? null, lag: null })
    }
  }
  return rows
}

const describe: Command = {
  spec: {
    name: 'groups describe',
    summary: 'Show the members of a group and its committed offset and lag per partition.',
    positionals: '<group>',
    options: { json },
  },
  async run(ctx, args) {
    const group = onePositional(args, 'group', 'groups describe')
    const json = flag(args.values, 'json')
    const result = await withBroker(
      ctx,
      async (broker) => {
        const description = await broker.admin.describeGroup(group)
        return { description, rows: json ? description.offsets : await lagRows(broker, description) }
      },
      { lookOnly: true },
    ).catch((error: unknown) => {
      if (!isMissingData(error)) throw error
      throw new NotFoundError(`group "${group}" does not exist (${error.message})`, {
        hint: 'a group appears when a consumer of it commits: conduit consume <topic> --group ' + group,
      })
    })
    if (result === undefined) return EXIT.interrupted
    const text = json
      ? JSON.stringify(result.description) + '\n'
      : formatGroup(result.description, result.rows)
    await writeTo(ctx.io.stdout, text, ctx.signal)
    return EXIT.ok
  },
}

export const groupsGroup: CommandGroup = {
  name: 'groups',
  summary: 'List consumer groups and show their lag.',
  commands: [list, describe],
}

// `conduit repair topic <topic>`: the repair that opening a `file:` directory names when a topic's
// topic.json is missing beside data, damaged or unreadable. Runs on the directory itself (no
// broker is started; the directory's lock keeps a running one out) and only rewrites topic.json.

import { parseMemoryUrl } from '../memory/config.ts'
import { repairTopic } from '../memory/index.ts'
import { integerOption, onePositional, UsageError, type CommandSpec } from './args.ts'
import type { Command, CommandGroup } from './context.ts'
import { EXIT } from './failure.ts'
import { writeTo } from './io.ts'
import { plural } from './output.ts'

const topicSpec: CommandSpec = {
  name: 'repair topic',
  summary: "Rewrite a file: topic's topic.json from its partition directories.",
  positionals: '<topic>',
  options: {
    partitions: {
      type: 'string',
      value: 'N',
      description: 'partition count to record (default: highest partition directory + 1)',
    },
  },
  details: [
    'For the embedded durable broker only (--url file:<dir>). Use it when opening the directory',
    'reports CONDUIT_CORRUPT_DATA for a topic.json that is missing, empty or damaged. Segments are',
    'never changed; partitions below N without a directory are created empty. Stop every process',
    'that has the directory open first (the repair takes its lock).',
  ].join('\n'),
}

const topic: Command = {
  spec: topicSpec,
  async run(ctx, args) {
    const name = onePositional(args, 'topic', topicSpec.name)
    const partitions = integerOption(args.values, 'partitions', topicSpec.name, { min: 1 })
    if (!/^file:/i.test(ctx.url)) {
      throw new UsageError(
        `repair works on file: directories (--url file:<dir>), not on ${ctx.url}`,
        topicSpec.name,
      )
    }
    const result = repairTopic(
      parseMemoryUrl(ctx.url).dir!,
      name,
      partitions === undefined ? {} : { partitions },
    )
    const created =
      result.createdPartitions.length > 0
        ? `; created empty partition${result.createdPartitions.length > 1 ? 's' : ''} ${result.createdPartitions.join(', ')}`
        : ''
    await writeTo(
      ctx.io.stderr,
      result.rewritten
        ? `repaired topic "${name}": wrote ${result.file} with ${plural(result.partitions, 'partition')}${created}\n`
        : `topic "${name}" needs no repair: ${result.file} is intact (${plural(result.partitions, 'partition')})\n`,
    )
    return EXIT.ok
  },
}

export const repairGroup: CommandGroup = {
  name: 'repair',
  summary: 'Repair the metadata of a file: directory (embedded broker).',
  commands: [topic],
}

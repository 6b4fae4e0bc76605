// `--help` text, generated from each command's option declarations.

import { GLOBAL_OPTIONS, type CommandSpec, type OptionSpec } from './args.ts'

export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    failure (broker error, unacknowledged message, timeout, no such topic or group)
  2    usage error (bad argument, option or URL)
  130  interrupted (SIGINT); what was acknowledged is committed first`

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const short = o.short ? `-${o.short}, ` : '    '
    const value = o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''
    const repeat = o.multiple ? ' ...' : ''
    return [`${short}--${name}${value}${repeat}`, o.description] as const
  })
  const width = Math.max(...rows.map(([left]) => left.length))
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)
}

export function commandHelp(spec: CommandSpec): string {
  const lines = [
    `Usage: conduit ${spec.name}${spec.positionals ? ` ${spec.positionals}` : ''} [options]`,
    '',
    spec.summary,
    '',
    'Options:',
    ...optionLines({ ...spec.options, ...GLOBAL_OPTIONS }),
  ]
  if (spec.details) lines.push('', spec.details)
  lines.push('', EXIT_CODES_HELP)
  return lines.join('\n') + '\n'
}

/** Help for a command group such as `topics`: its subcommands and their summaries. */
export function groupHelp(name: string, summary: string, subcommands: readonly CommandSpec[]): string {
  const width = Math.max(...subcommands.map((s) => s.name.length + s.positionals.length + 1))
  return [
    `Usage: conduit ${name} <command> [options]`,
    '',
    summary,
    '',
    'Commands:',
    ...subcommands.map((s) => `  ${`${s.name} ${s.positionals}`.trim().padEnd(width)}  ${s.summary}`),
    '',
    `Run "conduit ${name} <command> --help" for the options of one command.`,
    '',
    EXIT_CODES_HELP,
    '',
  ].join('\n')
}

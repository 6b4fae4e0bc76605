// The `conduit` command: finds the command, parses its arguments, runs it and turns the outcome
// into an exit code. `main()` takes its streams and its SIGINT signal as arguments so tests run
// it in-process; `runProcess()` wires it to the real process (and runs when this file is the
// entry module: `node src/cli/main.ts …`).

import { readFileSync, realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseCommandArgs, parseConnectOptions, stringList, UsageError } from './args.ts'
import { benchCommand } from './bench.ts'
import { consumeCommand } from './consume.ts'
import { resolveUrl, type Command, type CommandGroup } from './context.ts'
import { describeFailure, EXIT } from './failure.ts'
import { groupsGroup } from './groups.ts'
import { commandHelp, EXIT_CODES_HELP, groupHelp } from './help.ts'
import { writeTo, type CliIo } from './io.ts'
import { produceCommand } from './produce.ts'
import { quickstartCommand } from './quickstart.ts'
import { repairGroup } from './repair.ts'
import { topicsGroup } from './topics.ts'

const COMMANDS: readonly (Command | CommandGroup)[] = [
  quickstartCommand,
  produceCommand,
  consumeCommand,
  topicsGroup,
  groupsGroup,
  benchCommand,
  repairGroup,
]

function nameOf(entry: Command | CommandGroup): string {
  return 'spec' in entry ? entry.spec.name : entry.name
}

function version(): string {
  // src/cli/main.ts and dist/cli/main.js are both two levels below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

function mainHelp(): string {
  const rows = COMMANDS.map((c) => [nameOf(c), 'spec' in c ? c.spec.summary : c.summary] as const)
  const width = Math.max(...rows.map(([n]) => n.length))
  return [
    'Usage: conduit <command> [options]',
    '',
    'One client for Kafka, Pulsar, RocketMQ and the embedded broker; the URL picks the broker.',
    '',
    'Commands:',
    ...rows.map(([n, s]) => `  ${n.padEnd(width)}  ${s}`),
    '',
    'Every command takes --url URL (default: $CONDUIT_URL, else file:./.conduit), --option k=v',
    '(driver settings such as adminUrl, token, tls) and --help.',
    'URL schemes: memory:  file:<dir>  kafka://host:port  pulsar://host:port  pulsar+ssl://…',
    '             ws://host:port (Pulsar WebSocket)  rocketmq://namesrv:port',
    '',
    EXIT_CODES_HELP,
    '',
  ].join('\n')
}

/** Finds the command named by the first words of argv; returns it with the remaining arguments. */
function route(argv: readonly string[]): { command?: Command; help?: string; rest: readonly string[] } {
  const [first, second, ...rest] = argv
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' && second ? COMMANDS.find((c) => nameOf(c) === second) : undefined
    if (topic)
      return 'spec' in topic
        ? { help: commandHelp(topic.spec), rest: [] }
        : {
            help: groupHelp(
              topic.name,
              topic.summary,
              topic.commands.map((c) => c.spec),
            ),
            rest: [],
          }
    if (first === 'help' && second) throw new UsageError(`unknown command "${second}"`)
    return { help: mainHelp(), rest: [] }
  }
  const entry = COMMANDS.find((c) => nameOf(c) === first)
  if (!entry) throw new UsageError(`unknown command "${first}"; commands: ${COMMANDS.map(nameOf).join(', ')}`)
  if ('spec' in entry) return { command: entry, rest: argv.slice(1) }
  if (second === undefined || second === '--help' || second === '-h') {
    return {
      help: groupHelp(
        entry.name,
        entry.summary,
        entry.commands.map((c) => c.spec),
      ),
      rest: [],
    }
  }
  const sub = entry.commands.find((c) => c.spec.name === `${entry.name} ${second}`)
  if (!sub) {
    const names = entry.commands.map((c) => c.spec.name.slice(entry.name.length + 1)).join(', ')
    throw new UsageError(
      `unknown command "${entry.name} ${second}"; ${entry.name} commands: ${names}`,
      entry.name,
    )
  }
  return { command: sub, rest }
}

/**
 * Runs one CLI invocation and resolves with its exit code: 0 ok, 1 failure, 2 usage error,
 * 130 interrupted. Never rejects: every failure is reported on `io.stderr`.
 */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = {
    stdin: io.stdin ?? process.stdin,
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    signal: io.signal ?? new AbortController().signal,
    stdoutClosed: io.stdoutClosed ?? new AbortController().signal,
  }
  const debug = Boolean(full.env.CONDUIT_DEBUG)
  try {
    if (argv[0] === '--version' || argv[0] === '-v') {
      await writeTo(full.stdout, `${version()}\n`)
      return EXIT.ok
    }
    const { command, help, rest } = route(argv)
    if (help !== undefined) {
      await writeTo(full.stdout, help)
      return EXIT.ok
    }
    const args = parseCommandArgs(command!.spec, rest)
    if (args.values.help === true) {
      await writeTo(full.stdout, commandHelp(command!.spec))
      return EXIT.ok
    }
    const url = resolveUrl(args.values, full.env)
    const connectOptions = parseConnectOptions(stringList(args.values, 'option'), command!.spec.name)
    return await command!.run({ io: full, url, connectOptions, signal: full.signal }, args)
  } catch (error) {
    if (full.signal.aborted && !(error instanceof UsageError)) {
      await writeTo(full.stderr, 'interrupted\n')
      return EXIT.interrupted
    }
    const failure = describeFailure(error, debug)
    await writeTo(full.stderr, failure.text)
    return failure.exitCode
  }
}

/** After main() returned, give stragglers (sockets a driver failed to close) this long. */
const EXIT_GRACE_MS = 2000

/** Runs main() as the process: real streams, Ctrl-C handling, exit code. */
export async function runProcess(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const interrupt = new AbortController()
  const onSigint = (): void => {
    // First Ctrl-C: stop cleanly (commit what was acknowledged). Second: leave at once.
    if (interrupt.signal.aborted) process.exit(EXIT.interrupted)
    process.stderr.write('\nstopping (Ctrl-C again to quit at once)…\n')
    interrupt.abort()
  }
  process.on('SIGINT', onSigint)
  // `conduit consume … | head -1`: when the reader goes away, stop like on Ctrl-C (consume gives
  // back the batch it was printing); that is how such a pipeline ends normally, so exit 0.
  const readerGone = new AbortController()
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') return
    readerGone.abort()
    interrupt.abort()
  })
  let code = await main(argv, { signal: interrupt.signal, stdoutClosed: readerGone.signal })
  if (readerGone.signal.aborted && code === EXIT.interrupted) code = EXIT.ok
  process.removeListener('SIGINT', onSigint)
  process.stdin.destroy()
  process.exitCode = code
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref()
}

function isEntryModule(): boolean {
  const entry = process.argv[1]
  if (!entry) return false
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isEntryModule()) await runProcess()

// npm run brokers -- up|down|status|fetch [kind…] [--json]
//
// up      starts each kind not already running (in parallel), records it in
//         <cache>/run/<kind>.json and prints how to connect. Brokers keep running after this
//         command exits; tests find and reuse them.
// down    stops the given kinds (default: every recorded one) and removes their files.
// status  prints the recorded brokers that are alive.
// fetch   downloads the class paths only (CI warm-up).
import { fetchBroker, startBroker, stopBroker } from './instance.ts'
import { liveState, publicView, readState, removeState, writeState } from './state.ts'
import { BROKER_KINDS, isBrokerKind, type BrokerKind, type BrokerState } from './types.ts'

const DEFAULT_UP: BrokerKind[] = ['kafka', 'pulsar', 'rocketmq']

function parse(argv: string[]): { command: string; kinds: BrokerKind[]; json: boolean } {
  const [command = 'status', ...rest] = argv
  const json = rest.includes('--json')
  const kinds: BrokerKind[] = []
  for (const arg of rest.filter((a) => a !== '--json')) {
    if (!isBrokerKind(arg)) throw new Error(`unknown broker kind '${arg}'; known: ${BROKER_KINDS.join(', ')}`)
    kinds.push(arg)
  }
  return { command, kinds, json }
}

function print(states: BrokerState[], json: boolean): void {
  if (json) {
    process.stdout.write(
      JSON.stringify(Object.fromEntries(states.map((s) => [s.kind, publicView(s)]))) + '\n',
    )
    return
  }
  if (states.length === 0) process.stdout.write('no brokers running\n')
  for (const s of states) {
    process.stdout.write(
      `${s.kind.padEnd(14)} ${s.url}   (${s.version}, pids ${s.processes.map((p) => p.pid).join(',')})\n`,
    )
    for (const [name, url] of Object.entries(s.urls)) process.stdout.write(`  ${name.padEnd(10)} ${url}\n`)
    for (const [name, value] of Object.entries(s.credentials ?? {}))
      process.stdout.write(`  ${name.padEnd(10)} ${value}\n`)
    if (s.tls) process.stdout.write(`  tls        CA certificate in 'status --json' (tls.ca)\n`)
    process.stdout.write(`  logs       ${s.logDir}\n`)
  }
}

async function up(kinds: BrokerKind[], json: boolean): Promise<void> {
  const wanted = kinds.length ? kinds : DEFAULT_UP
  const results = await Promise.allSettled(
    wanted.map(async (kind) => {
      const live = liveState(kind)
      if (live) return live
      const state = await startBroker(kind)
      writeState(state)
      if (!json) process.stderr.write(`[brokers] ${kind} ready in ${(state.startupMs / 1000).toFixed(1)} s\n`)
      return state
    }),
  )
  const states = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  print(states, json)
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`${wanted[i]}: ${String(r.reason)}`] : [],
  )
  if (failures.length) {
    process.stderr.write(`[brokers] failed to start:\n${failures.join('\n')}\n`)
    process.exitCode = 1
  }
}

async function down(kinds: BrokerKind[]): Promise<void> {
  const wanted = kinds.length ? kinds : [...BROKER_KINDS]
  await Promise.all(
    wanted.map(async (kind) => {
      const state = readState(kind)
      if (!state) return
      await stopBroker(state)
      removeState(kind)
      process.stderr.write(`[brokers] ${kind} stopped\n`)
    }),
  )
}

async function main(): Promise<void> {
  const { command, kinds, json } = parse(process.argv.slice(2))
  switch (command) {
    case 'up':
      return up(kinds, json)
    case 'down':
      return down(kinds)
    case 'status':
      return print(
        (kinds.length ? kinds : [...BROKER_KINDS]).flatMap((k) => liveState(k) ?? []),
        json,
      )
    case 'fetch':
      for (const kind of kinds.length ? kinds : [...BROKER_KINDS]) await fetchBroker(kind)
      return
    default:
      throw new Error(`unknown command '${command}'; use up|down|status|fetch [kind…] [--json]`)
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[brokers] ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})

// `npm test [-- <paths or globs>…]`: every test file under test/ (unit and integration), with the
// real brokers the integration tests share started once, in parallel, before node --test runs.
//
// Which brokers: every `useBroker('<kind>')` call without `exclusive: true` found in the test
// files, plus one per test/integration/<kafka|pulsar|pulsar-ws|rocketmq> directory present. Tests
// that ask for something else still work: test/support/brokers.ts starts it in the test process.
// The started brokers are listed in a JSON file named by CONDUIT_TEST_BROKERS; brokers a developer
// already runs (`npm run brokers -- up`) are reused and left running.
import { spawn } from 'node:child_process'
import { existsSync, globSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fetchBroker, startBroker, stopBroker } from '../brokers/instance.ts'
import { ownBroker, releaseBroker } from '../brokers/owner.ts'
import { fetchPulsarProxy } from '../brokers/pulsar-proxy.ts'
import { liveState } from '../brokers/state.ts'
import { isBrokerKind, type BrokerKind, type BrokerState } from '../brokers/types.ts'
import { buildInterop } from '../../test/support/interop.ts'
import type { FailureLine } from './failure-reporter.ts'
import { neededBrokers } from './needed-brokers.ts'

const PER_TEST_TIMEOUT_MS = 10 * 60_000
const MAX_RERUN_FILES = 3
const FAILURE_REPORTER = fileURLToPath(new URL('./failure-reporter.ts', import.meta.url))
const log = (line: string): void => void process.stderr.write(`[test] ${line}\n`)

function testFiles(args: string[]): string[] {
  const patterns = args.length ? args : ['test/**/*.test.ts']
  const files = new Set<string>()
  for (const pattern of patterns) {
    const glob = existsSync(pattern) && !pattern.endsWith('.ts') ? join(pattern, '**/*.test.ts') : pattern
    for (const file of globSync(glob)) files.add(file)
  }
  return [...files].sort()
}

async function startShared(kinds: BrokerKind[]): Promise<{ states: BrokerState[]; owned: BrokerState[] }> {
  const states: BrokerState[] = []
  const owned: BrokerState[] = []
  // Fetch first (one Maven run per broker family, cached), so start-up times below are start-up only.
  await Promise.all(kinds.map((kind) => fetchBroker(kind)))
  // At most three JVM start-ups at a time: on two cores, more only makes every one of them slower.
  const slots = limit(3)
  const results = await Promise.allSettled(
    kinds.map(async (kind) => {
      await slots.acquire()
      try {
        return await startOne(kind)
      } finally {
        slots.release()
      }
    }),
  )
  async function startOne(kind: BrokerKind): Promise<{ state: BrokerState; mine: boolean }> {
    const live = liveState(kind)
    if (live) {
      log(`${kind}: reusing the running broker at ${live.url}`)
      return { state: live, mine: false }
    }
    const state = await startBroker(kind)
    ownBroker(state)
    log(`${kind}: ready in ${(state.startupMs / 1000).toFixed(1)} s at ${state.url}`)
    return { state, mine: true }
  }
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') {
      states.push(result.value.state)
      if (result.value.mine) owned.push(result.value.state)
    } else {
      // The tests that need it will try to start it themselves and fail loudly with the reason.
      log(
        `${kinds[i]}: FAILED to start: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`,
      )
    }
  })
  return { states, owned }
}

function limit(count: number): { acquire(): Promise<void>; release(): void } {
  let free = count
  const waiting: (() => void)[] = []
  return {
    acquire: () => {
      if (free > 0) {
        free--
        return Promise.resolve()
      }
      return new Promise((resolve) => waiting.push(resolve))
    },
    release: () => {
      const next = waiting.shift()
      if (next) next()
      else free++
    },
  }
}

function runNodeTest(files: string[], env: NodeJS.ProcessEnv, failuresFile: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--test',
        '--test-concurrency=2',
        `--test-timeout=${PER_TEST_TIMEOUT_MS}`,
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        `--test-reporter=${FAILURE_REPORTER}`,
        `--test-reporter-destination=${failuresFile}`,
        ...files,
      ],
      { stdio: 'inherit', env },
    )
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
}

function readFailures(failuresFile: string): FailureLine[] {
  if (!existsSync(failuresFile)) return []
  return readFileSync(failuresFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FailureLine)
}

function reportFailures(label: string, failures: FailureLine[]): void {
  log(`${label}: ${failures.length} failing test(s) in ${new Set(failures.map((f) => f.file)).size} file(s)`)
  for (const failure of failures.slice(0, 40)) {
    log(`  ${relative(process.cwd(), failure.file)} > ${failure.name}: ${failure.error}`)
  }
}

// A file whose tests fail is run once more on its own: a rare race (in a test, in the code under
// test, or a broker stalled on two shared cores) failed a single test in each of three sessions'
// CI runs, and CI keeps no output. A file
// that fails again fails the run; so does any failure when more than a few files failed (that is
// breakage, not a stall), or a run that failed without naming a failing test. Every first-run
// failure is printed either way, so a flaky test stays visible.
async function runWithOneRerun(files: string[], env: NodeJS.ProcessEnv, dir: string): Promise<number> {
  const first = join(dir, 'failures-1.jsonl')
  const code = await runNodeTest(files, env, first)
  if (code === 0) return 0
  const failures = readFailures(first)
  if (failures.length === 0) {
    log(`node --test exited with ${code} without a failing test (a crash or a timeout of the whole run)`)
    return code
  }
  reportFailures('first run', failures)
  const failed = [...new Set(failures.map((f) => f.file))]
  const rerunAllowed = process.env.CONDUIT_TEST_RERUN !== '0' && failed.length <= MAX_RERUN_FILES
  if (!rerunAllowed) {
    log(
      failed.length > MAX_RERUN_FILES ? `more than ${MAX_RERUN_FILES} files failed: no re-run` : 'no re-run',
    )
    return code
  }
  log(`re-running ${failed.length} file(s) once: ${failed.map((f) => relative(process.cwd(), f)).join(', ')}`)
  const second = join(dir, 'failures-2.jsonl')
  const rerunCode = await runNodeTest(failed, env, second)
  if (rerunCode === 0) {
    log(`FLAKY: the file(s) above failed once and passed on the re-run; the run passes`)
    return 0
  }
  const again = readFailures(second)
  if (again.length) reportFailures('re-run', again)
  return rerunCode
}

async function main(): Promise<number> {
  const files = testFiles(process.argv.slice(2))
  if (files.length === 0) {
    log('no test files matched')
    return 1
  }
  const kinds = neededBrokers(files, (file) => readFileSync(file, 'utf8')).filter(isBrokerKind)
  // Build the official Java clients once here rather than in several test processes at once.
  // (Test helpers import it too, so every .ts file beside the selected integration tests counts.)
  const integrationDirs = [
    ...new Set(files.filter((f) => f.includes('test/integration/')).map((f) => dirname(f))),
  ]
  const usesInterop = integrationDirs.some((dir) =>
    globSync(join(dir, '*.ts')).some((file) => readFileSync(file, 'utf8').includes('support/interop.ts')),
  )
  const interop = usesInterop
    ? buildInterop().then(
        () => log('official Java clients (tools/interop) built'),
        (error: unknown) => log(`building tools/interop failed: ${String(error)}`),
      )
    : Promise.resolve()
  // The pulsar-proxy jars are fetched here too, beside the brokers, so the first run on a fresh
  // machine does not spend minutes of a proxy test's own time downloading them.
  const usesProxy = files.some((file) => readFileSync(file, 'utf8').includes('startPulsarProxy'))
  const proxy = usesProxy
    ? fetchPulsarProxy().then(
        () => log('pulsar-proxy fetched'),
        (error: unknown) => log(`fetching pulsar-proxy failed: ${String(error)}`),
      )
    : Promise.resolve()
  const env = { ...process.env }
  let owned: BrokerState[] = []
  let listFile: string | undefined
  if (kinds.length) {
    log(`shared brokers for this run: ${kinds.join(', ')}`)
    const started = Date.now()
    const shared = await startShared(kinds)
    owned = shared.owned
    log(`brokers ready after ${((Date.now() - started) / 1000).toFixed(1)} s`)
    const dir = mkdtempSync(join(tmpdir(), 'conduit-test-'))
    listFile = join(dir, 'brokers.json')
    writeFileSync(
      listFile,
      JSON.stringify(Object.fromEntries(shared.states.map((s) => [s.kind, s])), null, 2),
    )
    env.CONDUIT_TEST_BROKERS = listFile
  }
  await Promise.all([interop, proxy])
  const reportDir = mkdtempSync(join(tmpdir(), 'conduit-test-report-'))
  try {
    return await runWithOneRerun(files, env, reportDir)
  } finally {
    rmSync(reportDir, { recursive: true, force: true })
    await Promise.all(
      owned.map(async (state) => {
        await stopBroker(state).catch((error: unknown) => log(`stopping ${state.kind}: ${String(error)}`))
        releaseBroker(state)
      }),
    )
    if (listFile) rmSync(join(listFile, '..'), { recursive: true, force: true })
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error))
    process.exitCode = 1
  },
)

// Fetches a class path from Maven Central with a pinned pom (tools/brokers/poms/<name>.xml) into
// the cache. The cache directory is keyed by a hash of the pom, so changing a version fetches
// again and old entries never mix with new ones. Concurrent fetches (two test processes) each
// copy into a private directory and rename it into place; the loser just uses the winner's copy.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cacheRoot } from './cache.ts'
import { MissingPrerequisiteError, requireJava, requireMaven } from './prerequisites.ts'

export const POMS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'poms')

export type BrokerPom =
  'kafka' | 'pulsar' | 'pulsar-proxy' | 'rocketmq' | 'kafka-tools' | 'pulsar-perf' | 'rocketmq-example'

/** `<cache>/maven/<name>-<hash>/lib`, a directory of jars for `java -cp '<lib>/*'`. */
export async function brokerClasspath(pom: BrokerPom): Promise<string> {
  return mavenLibDir(join(POMS_DIR, `${pom}.xml`), pom)
}

const inFlight = new Map<string, Promise<string>>()

export function mavenLibDir(pomPath: string, name: string): Promise<string> {
  const pom = readFileSync(pomPath)
  const hash = createHash('sha256').update(pom).digest('hex').slice(0, 12)
  const dir = join(cacheRoot(), 'maven', `${name}-${hash}`)
  const lib = join(dir, 'lib')
  if (existsSync(join(lib, '.complete'))) return Promise.resolve(lib)
  let pending = inFlight.get(lib)
  if (!pending) {
    pending = fetchInto(pomPath, dir, lib).finally(() => inFlight.delete(lib))
    inFlight.set(lib, pending)
  }
  return pending
}

async function fetchInto(pomPath: string, dir: string, lib: string): Promise<string> {
  requireJava()
  requireMaven()
  mkdirSync(dir, { recursive: true })
  const staging = join(dir, `lib.${process.pid}.${Date.now()}`)
  const started = Date.now()
  process.stderr.write(`[brokers] fetching ${pomPath} from Maven Central into ${dir} …\n`)
  const { code, output } = await run('mvn', [
    '-B',
    '-q',
    '-f',
    pomPath,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${staging}`,
    '-DincludeScope=runtime',
  ])
  if (code !== 0) {
    rmSync(staging, { recursive: true, force: true })
    throw new MissingPrerequisiteError(
      `Maven could not fetch ${pomPath} (exit ${code}); is Maven Central reachable?\n${output.slice(-4000)}`,
    )
  }
  writeFileSync(join(staging, '.complete'), new Date().toISOString())
  try {
    renameSync(staging, lib)
  } catch (error) {
    // Another process finished first: its copy is identical.
    rmSync(staging, { recursive: true, force: true })
    if (!existsSync(join(lib, '.complete'))) throw error
  }
  process.stderr.write(`[brokers] fetched ${pomPath} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  return lib
}

function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? 1, output }))
  })
}

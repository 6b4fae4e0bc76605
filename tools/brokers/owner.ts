// Brokers owned by this process (exclusive test instances, or shared ones a test file had to start
// itself) must never outlive it. Three layers, because each covers a different way to die:
// - 'exit' hook: normal exit and uncaught errors (SIGKILL to each broker's process group);
// - SIGINT/SIGTERM/SIGHUP handlers: the same cleanup, then the signal is re-raised;
// - a watchdog process (watchdog.ts), for the one thing no hook survives: this process being
//   SIGKILLed. It reads this process's state files and kills what they list once we are gone.
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ownedDir } from './cache.ts'
import { destroyBrokerNow } from './instance.ts'
import type { BrokerState } from './types.ts'

const owned = new Map<BrokerState, string>()
let counter = 0
let hooksInstalled = false
let watchdogStarted = false

export function ownBroker(state: BrokerState): void {
  installHooks()
  startWatchdog()
  const file = join(ownedDir(), `${process.pid}-${state.kind}-${++counter}.json`)
  owned.set(state, file)
  writeOwned(state)
}

/** Rewrites the state file after a restart (new pids) so the watchdog kills the right processes. */
export function writeOwned(state: BrokerState): void {
  const file = owned.get(state)
  if (!file) return
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(`${file}.tmp`, JSON.stringify(state))
  renameSync(`${file}.tmp`, file)
}

export function releaseBroker(state: BrokerState): void {
  const file = owned.get(state)
  if (!file) return
  owned.delete(state)
  rmSync(file, { force: true })
}

export function ownsBroker(state: BrokerState): boolean {
  return owned.has(state)
}

function destroyAllNow(): void {
  for (const [state, file] of owned) {
    destroyBrokerNow(state)
    rmSync(file, { force: true })
  }
  owned.clear()
}

function installHooks(): void {
  if (hooksInstalled) return
  hooksInstalled = true
  process.on('exit', destroyAllNow)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      destroyAllNow()
      process.kill(process.pid, signal)
    })
  }
}

function startWatchdog(): void {
  if (watchdogStarted) return
  watchdogStarted = true
  mkdirSync(ownedDir(), { recursive: true })
  const script = join(dirname(fileURLToPath(import.meta.url)), 'watchdog.ts')
  const child = spawn(process.execPath, [script, String(process.pid), ownedDir()], {
    detached: true,
    stdio: 'ignore',
  })
  child.unref()
}

/** State files left by owners that died without cleaning up (for the watchdog and `brokers down`). */
export function ownedFilesOf(pid: number): string[] {
  try {
    return readdirSync(ownedDir())
      .filter((name) => name.startsWith(`${pid}-`) && name.endsWith('.json'))
      .map((name) => join(ownedDir(), name))
  } catch {
    return []
  }
}

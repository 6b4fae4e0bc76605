// The lifecycle of one broker instance: start (fetch, configure, spawn, wait until ready), kill
// (SIGKILL, data kept), restart (same command lines, so same ports and data dir), stop.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { workRoot } from './cache.ts'
import { LAUNCHERS } from './launchers.ts'
import { brokerClasspath } from './maven.ts'
import { requireJava } from './prerequisites.ts'
import { isAlive, killProcesses, killProcessesNow, spawnProcess, stopProcesses } from './processes.ts'
import type { BrokerKind, BrokerState, ProcessSpec } from './types.ts'

/** Fetches (once per machine) the class path a kind needs, without starting anything. */
export async function fetchBroker(kind: BrokerKind): Promise<string> {
  requireJava()
  return brokerClasspath(LAUNCHERS[kind].pom)
}

/** Start attempts when a port found free is taken by another process before the broker binds it. */
const BIND_ATTEMPTS = 3

export async function startBroker(kind: BrokerKind): Promise<BrokerState> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(kind)
    } catch (error) {
      if (attempt >= BIND_ATTEMPTS || !lostAPort(error)) throw error
      process.stderr.write(
        `[brokers] ${kind}: a chosen port was taken before the broker bound it; starting again on new ports\n`,
      )
    }
  }
}

/** The failed start's message (which carries the broker's log tail) says a bind failed. */
export function lostAPort(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error)
  return /BindException|Address already in use|EADDRINUSE/i.test(text)
}

async function startOnce(kind: BrokerKind): Promise<BrokerState> {
  const launcher = LAUNCHERS[kind]
  const lib = await fetchBroker(kind)
  mkdirSync(workRoot(), { recursive: true })
  const workDir = mkdtempSync(join(workRoot(), `${kind}-`))
  const dataDir = join(workDir, 'data')
  const logDir = join(workDir, 'logs')
  mkdirSync(dataDir, { recursive: true })
  mkdirSync(logDir, { recursive: true })
  try {
    const prepared = await launcher.prepare({ kind, lib, workDir, dataDir, logDir })
    const state: BrokerState = {
      ...prepared.state,
      processes: [],
      startedAt: new Date().toISOString(),
      startupMs: 0,
    }
    const started = Date.now()
    try {
      await spawnAll(state, prepared.specs)
    } catch (error) {
      killProcessesNow(state.processes)
      throw error
    }
    state.startupMs = Date.now() - started
    return state
  } catch (error) {
    // Keep the logs of a failed start when asked, they are the only clue.
    if (!process.env.CONDUIT_KEEP_BROKER_LOGS) rmSync(workDir, { recursive: true, force: true })
    throw error
  }
}

async function spawnAll(state: BrokerState, specs: ProcessSpec[]): Promise<void> {
  const launcher = LAUNCHERS[state.kind]
  for (let i = 0; i < specs.length; i++) {
    state.processes.push(spawnProcess(specs[i]!))
    await launcher.afterStart(state, i)
  }
}

export function brokerAlive(state: BrokerState): boolean {
  return state.processes.length > 0 && state.processes.every((p) => isAlive(p.pid))
}

/** SIGKILL to every process of the broker; data stays where it is. */
export async function killBroker(state: BrokerState): Promise<void> {
  await killProcesses(state.processes)
}

/**
 * Starts the same processes again with the same command lines: same ports, same data dir. A broker
 * that is still running is stopped gracefully first. Mutates and returns `state` (new pids).
 */
export async function restartBroker(state: BrokerState): Promise<BrokerState> {
  if (state.processes.some((p) => isAlive(p.pid))) await stopProcesses(state.processes, 15_000)
  const specs = state.processes.map(({ pid: _pid, ...spec }) => spec)
  for (const spec of specs)
    appendFileSync(
      spec.log,
      `\n===== conduit: restarting ${spec.name} at ${new Date().toISOString()} =====\n`,
    )
  state.processes = []
  const started = Date.now()
  try {
    await spawnAll(state, specs)
  } catch (error) {
    killProcessesNow(state.processes)
    throw error
  }
  state.startupMs = Date.now() - started
  return state
}

/** Graceful stop, then the work directory (config, logs, data) is removed. */
export async function stopBroker(state: BrokerState, options: { keepFiles?: boolean } = {}): Promise<void> {
  await stopProcesses(state.processes, 15_000)
  if (!options.keepFiles) rmSync(state.workDir, { recursive: true, force: true })
}

/** For exit hooks: SIGKILL and remove files, synchronously. */
export function destroyBrokerNow(state: BrokerState): void {
  killProcessesNow(state.processes)
  try {
    // A JVM may still be closing files for a moment after SIGKILL: retry the removal.
    rmSync(state.workDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 })
  } catch {
    // best effort at exit; the watchdog's sweep or the OS temp cleaner gets the rest
  }
}

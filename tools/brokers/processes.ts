// Broker processes: each one leads its own process group (detached), so stopping a broker also
// stops anything it forked, and a kill by group id never touches the test process.
import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync, statSync } from 'node:fs'
import type { ProcessSpec, RunningProcess } from './types.ts'

export function spawnProcess(spec: ProcessSpec): RunningProcess {
  const log = openSync(spec.log, 'a')
  try {
    const [command, ...args] = spec.argv
    if (!command) throw new Error(`process ${spec.name} has an empty command line`)
    const child = spawn(command, args, { cwd: spec.cwd, detached: true, stdio: ['ignore', log, log] })
    // Not waiting on the broker: it outlives this call, and maybe this process (`brokers up`).
    child.unref()
    child.on('error', () => {})
    if (child.pid === undefined) throw new Error(`could not start ${spec.name}: ${command}`)
    return { ...spec, pid: child.pid }
  } finally {
    closeSync(log)
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  // A zombie still answers kill(0); it is dead for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true
  }
}

/** Signals the whole group; a group that is already gone is not an error. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      process.kill(pid, signal)
    } catch {
      // already gone
    }
  }
}

export async function waitDead(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return true
}

/** SIGTERM, a grace period, then SIGKILL. */
export async function stopProcesses(processes: RunningProcess[], graceMs: number): Promise<void> {
  const pids = processes.map((p) => p.pid)
  for (const pid of [...pids].reverse()) signalGroup(pid, 'SIGTERM')
  if (await waitDead(pids, graceMs)) return
  await killProcesses(processes)
}

export async function killProcesses(processes: RunningProcess[]): Promise<void> {
  const pids = processes.map((p) => p.pid)
  for (const pid of pids) signalGroup(pid, 'SIGKILL')
  if (!(await waitDead(pids, 10_000))) throw new Error(`processes ${pids.join(', ')} survived SIGKILL`)
}

/** Synchronous, for exit hooks. */
export function killProcessesNow(processes: RunningProcess[]): void {
  for (const p of processes) signalGroup(p.pid, 'SIGKILL')
}

/** The end of a log, for error messages. */
export function logTail(file: string, bytes = 3000): string {
  try {
    const size = statSync(file).size
    const text = readFileSync(file, 'utf8')
    return size > bytes ? text.slice(-bytes) : text
  } catch {
    return '(no log)'
  }
}

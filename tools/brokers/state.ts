// State files of brokers a developer (or CI) started with `npm run brokers -- up`:
// <cache>/run/<kind>.json. Tests reuse a live one instead of starting their own.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runDir } from './cache.ts'
import { brokerAlive } from './instance.ts'
import type { BrokerKind, BrokerState } from './types.ts'

export function stateFile(kind: BrokerKind): string {
  return join(runDir(), `${kind}.json`)
}

export function writeState(state: BrokerState): void {
  mkdirSync(runDir(), { recursive: true })
  const file = stateFile(state.kind)
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n')
  renameSync(`${file}.tmp`, file)
}

export function readState(kind: BrokerKind): BrokerState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(kind), 'utf8')) as BrokerState
  } catch {
    return undefined
  }
}

/** The recorded broker if every one of its processes is still running; a stale file is removed. */
export function liveState(kind: BrokerKind): BrokerState | undefined {
  const state = readState(kind)
  if (!state) return undefined
  if (brokerAlive(state)) return state
  rmSync(stateFile(kind), { force: true })
  return undefined
}

export function removeState(kind: BrokerKind): void {
  rmSync(stateFile(kind), { force: true })
}

/** What `status --json` and `up --json` print per broker: how to connect, nothing internal. */
export function publicView(state: BrokerState): Record<string, unknown> {
  return {
    url: state.url,
    urls: state.urls,
    ...(state.credentials ? { credentials: state.credentials } : {}),
    ...(state.tls ? { tls: state.tls } : {}),
    version: state.version,
    pids: state.processes.map((p) => p.pid),
    ports: state.ports,
    dataDir: state.dataDir,
    logDir: state.logDir,
    startupMs: state.startupMs,
  }
}

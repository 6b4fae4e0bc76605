// Waiting until a broker is really ready: polling a check with a deadline, failing early (with the
// log's tail) when the process died instead.
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { isAlive, logTail } from './processes.ts'
import type { RunningProcess } from './types.ts'

export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; watch: RunningProcess[]; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs
  let lastError: unknown
  for (;;) {
    for (const p of options.watch) {
      if (!isAlive(p.pid)) {
        throw new Error(
          `${p.name} (pid ${p.pid}) exited while waiting for ${what}; log ${p.log}:\n${logTail(p.log)}`,
        )
      }
    }
    try {
      if (await check()) return
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline) {
      const logs = options.watch.map((p) => `--- ${p.log}\n${logTail(p.log)}`).join('\n')
      throw new Error(
        `timed out after ${options.timeoutMs} ms waiting for ${what}` +
          (lastError instanceof Error ? ` (last error: ${lastError.message})` : '') +
          `\n${logs}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250))
  }
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.setTimeout(1000)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(false))
  })
}

export async function httpOk(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(3000) })
  await response.arrayBuffer()
  return response.status === 200
}

export function logContains(file: string, text: string): boolean {
  try {
    return readFileSync(file, 'utf8').includes(text)
  } catch {
    return false
  }
}

/** Counts occurrences, for "ready again after restart" checks on an appended log. */
export function logCount(file: string, text: string): number {
  try {
    return readFileSync(file, 'utf8').split(text).length - 1
  } catch {
    return 0
  }
}

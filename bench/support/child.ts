// Each benchmarked client runs in a child process of its own, so the CPU time and RSS it reports
// are its own and one client's leftovers (sockets, timers, heap) cannot slow the next. The child
// prints its result as the last line of stdout, in JSON.
import { spawn } from 'node:child_process'

/** Runs `script` with `args` under this Node and resolves with its last stdout line parsed as JSON. */
export function runChildJson<T>(
  script: string,
  args: readonly string[],
  what: string,
  timeoutMs?: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => proc.kill('SIGKILL'), timeoutMs)
    proc.on('exit', (code) => {
      clearTimeout(timer)
      const line = out.trim().split('\n').at(-1) ?? ''
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as T)
      else reject(new Error(`${what} exited ${code}: ${out.slice(-500)}`))
    })
  })
}

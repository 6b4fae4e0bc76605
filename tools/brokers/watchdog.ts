// Runs beside a process that owns brokers (started by owner.ts, detached, one per owner). When the
// owner disappears without having cleaned up - typically SIGKILLed, or the machine's OOM killer -
// this kills the broker process groups listed in the owner's state files and removes their work
// directories. It holds no broker state itself: the files are the truth.
//
// usage: node tools/brokers/watchdog.ts <owner-pid> <owned-dir>
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const ownerPid = Number(process.argv[2])
const dir = process.argv[3]
if (!Number.isInteger(ownerPid) || ownerPid <= 0 || !dir) {
  process.stderr.write('usage: watchdog.ts <owner-pid> <owned-dir>\n')
  process.exit(2)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function sweep(): void {
  let names: string[] = []
  try {
    names = readdirSync(dir).filter((name) => name.startsWith(`${ownerPid}-`) && name.endsWith('.json'))
  } catch {
    return
  }
  for (const name of names) {
    const file = join(dir, name)
    try {
      const state = JSON.parse(readFileSync(file, 'utf8')) as {
        workDir?: string
        processes?: { pid: number }[]
      }
      for (const p of state.processes ?? []) {
        try {
          process.kill(-p.pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      if (state.workDir)
        rmSync(state.workDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
    } catch {
      // a half-written or unreadable file: nothing we can act on
    }
    rmSync(file, { force: true })
  }
}

const timer = setInterval(() => {
  if (alive(ownerPid)) return
  clearInterval(timer)
  sweep()
}, 1000)

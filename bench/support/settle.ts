// The pause between a throughput burst and a phase that times single round trips. A fast client's
// burst leaves the broker's log in the page cache, and the kernel writes it back to disk during the
// next seconds; a round trip timed meanwhile measures that writeback as much as the client, and
// the faster client (the one that wrote the most) pays the most. `sync` waits until the dirty pages
// are written; the pause after it lets the broker's own background work (segment and index
// upkeep, garbage collection) finish too.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { sleep } from '../../src/core/backoff.ts'

const run = promisify(execFile)

/** Flushes the machine's dirty pages to disk, then waits `pauseMs`. */
export async function settleAfterBurst(pauseMs: number): Promise<void> {
  await run('sync')
  await sleep(pauseMs)
}

// Two processes starting together over a stale lock (its owner was killed with kill -9): exactly
// one may open the directory. Runs TRIALS races between two real processes; each side is one
// child running every trial, started in the same millisecond through a shared start time.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'

const TRIALS = 200
const RACER = fileURLToPath(new URL('../fixtures/lock-racer.ts', import.meta.url))
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-lock-race-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

async function waitForFile(file: string, children: { exitCode: number | null }[]): Promise<string> {
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      return fs.readFileSync(file, 'utf8')
    } catch {
      if (children.some((c) => c.exitCode !== null)) throw new Error(`a racer exited early`)
      if (Date.now() > deadline) throw new Error(`no ${file} within 10 s`)
      await sleep(1)
    }
  }
}

void test(`${TRIALS} pairs of processes racing for a stale lock: exactly one wins each time`, async () => {
  // A pid that certainly ran and exited: a child we waited for.
  const deadPid = Number(
    spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString(),
  )
  const stale = `${deadPid}\n${os.hostname()}\n2020-01-01T00:00:00Z\n`
  for (let i = 0; i < TRIALS; i++) {
    const dir = path.join(root, `t${i}`)
    fs.mkdirSync(dir)
    // What kill -9 leaves: the holder's generation and its LOCK copy (an earlier Conduit: only LOCK).
    fs.writeFileSync(path.join(dir, 'LOCK'), stale)
    fs.writeFileSync(path.join(dir, 'LOCK.1'), `${stale}0f4c6a1e-dead-4bad-8bad-000000000000\n`)
  }
  const children = ['a', 'b'].map((side) =>
    spawn(process.execPath, [RACER, root, String(TRIALS), side], { stdio: ['ignore', 'inherit', 'inherit'] }),
  )
  const started = Date.now()
  const doubleWins: number[] = []
  try {
    for (let i = 0; i < TRIALS; i++) {
      // Far enough ahead that both children have seen the file before it is time.
      fs.writeFileSync(path.join(root, `go-${i}.tmp`), String(Date.now() + 4))
      fs.renameSync(path.join(root, `go-${i}.tmp`), path.join(root, `go-${i}`))
      const results = [
        await waitForFile(path.join(root, `r-${i}-a`), children),
        await waitForFile(path.join(root, `r-${i}-b`), children),
      ]
      for (const r of results) assert.match(r, /^(won|lost)$/, `trial ${i}`)
      const winners = results.filter((r) => r === 'won').length
      if (winners === 2) doubleWins.push(i)
      else assert.equal(winners, 1, `trial ${i}: nobody won`)
      fs.writeFileSync(path.join(root, `done-${i}`), '')
    }
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  }
  const seconds = (Date.now() - started) / 1000
  assert.deepEqual(doubleWins, [], `both processes won in ${doubleWins.length} of ${TRIALS} trials`)
  console.log(`# ${TRIALS} lock races in ${seconds.toFixed(1)} s: exactly one winner each`)
})

// The real `conduit` process: `node src/cli/main.ts …` as a user runs it, with real pipes and
// real signals, against a durable embedded broker in a temporary directory.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))
const dir = await mkdtemp(join(tmpdir(), 'conduit-cli-process-'))
const BROKER_URL = `file:${dir}`
test.after(() => rm(dir, { recursive: true, force: true }))

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function conduit(
  args: string[],
  stdin = '',
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<Exit> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd: dir,
    env: { ...process.env, CONDUIT_URL: BROKER_URL },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    onStdout?.(stdout, child)
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  child.stdin.end(stdin)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(`conduit ${args.join(' ')} did not exit within 20 s\nstdout: ${stdout}\nstderr: ${stderr}`),
      )
    }, 20_000)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

void test('produce from a pipe, then consume, as separate processes; the URL comes from CONDUIT_URL', async () => {
  const p = await conduit(['produce', 'piped', '--key', 'k'], 'one\ntwo\nthree\n')
  assert.equal(p.code, 0, p.stderr)
  assert.match(p.stderr, /produced 3 messages to "piped"/)
  const c = await conduit(['consume', 'piped', '--count', '3'])
  assert.equal(c.code, 0, c.stderr)
  assert.equal(c.stdout, 'one\ntwo\nthree\n')
})

void test('usage errors exit 2 with the error on stderr', async () => {
  const r = await conduit(['consume'])
  assert.equal(r.code, 2)
  assert.equal(r.stdout, '')
  assert.match(r.stderr, /^error \[CONDUIT_USAGE\]: missing topic\nhint: see "conduit consume --help"\n$/)
})

void test('SIGINT stops a waiting consumer cleanly: exit 130, what was printed is committed', async () => {
  const topic = 'interrupted'
  assert.equal((await conduit(['produce', topic], 'a\nb\nc\n')).code, 0)
  let sent = false
  const r = await conduit(['consume', topic, '--group', 'sig'], '', (out, child) => {
    if (!sent && out === 'a\nb\nc\n') {
      sent = true
      child.kill('SIGINT')
    }
  })
  assert.equal(r.code, 130, r.stderr)
  assert.equal(r.stdout, 'a\nb\nc\n')
  assert.match(r.stderr, /consumed 3 messages from "interrupted" as group "sig".*; interrupted/)
  const lag = await conduit(['groups', 'describe', 'sig', '--json'])
  const group = JSON.parse(lag.stdout) as { offsets: { topic: string; committed: number; lag: number }[] }
  assert.deepEqual(
    group.offsets.filter((o) => o.topic === topic).map((o) => [o.committed, o.lag]),
    [[3, 0]],
  )
})

void test('a second process on a locked directory fails with CONDUIT_LOCKED and a hint', async () => {
  assert.equal((await conduit(['produce', 'held'], 'x\n')).code, 0)
  let second: Exit | undefined
  let started = false
  const holder = conduit(['consume', 'held'], '', (out, child) => {
    if (started || out !== 'x\n') return
    started = true
    // The consumer holds the directory now; try a second process, then stop the first.
    void conduit(['topics', 'list']).then((r) => {
      second = r
      child.kill('SIGINT')
    })
  })
  const first = await holder
  assert.equal(first.code, 130)
  assert.ok(second)
  assert.equal(second.code, 1)
  assert.match(second.stderr, /^error \[CONDUIT_LOCKED\]: .*in use by process \d+/)
  assert.match(second.stderr, /hint: another process has this file: directory open/)
})

// What a user of the real `conduit` process sees when the embedded broker's directory cannot be
// opened: `error [CONDUIT_STORAGE]` or `error [CONDUIT_CORRUPT_DATA]` with the path and a hint
// saying what to do, exit code 1 — never a bare Node error. And the repair a hint names works.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))
const root = fs.realpathSync(fs.mkdtempSync(path.join(tmpdir(), 'conduit-cli-storage-')))
test.after(() => fs.rmSync(root, { recursive: true, force: true }))

interface Exit {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI; `asUser` runs it as an unprivileged user (setpriv), for permission errors as root. */
function conduit(args: string[], stdin = '', asUser: string[] = []): Promise<Exit> {
  const env = { ...process.env }
  delete env.CONDUIT_URL
  const [command, ...rest] = [...asUser, process.execPath, MAIN, ...args]
  const child = spawn(command!, rest, { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  child.stdin.end(stdin)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`conduit ${args.join(' ')} did not exit within 20 s\nstderr: ${stderr}`))
    }, 20_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

function assertStorageError(r: Exit, file: string): void {
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stderr, /^error \[CONDUIT_STORAGE\]: /)
  assert.ok(r.stderr.includes(file), `the path ${file} is named:\n${r.stderr}`)
  assert.match(r.stderr, /\nhint: .*(directory|file)/)
  assert.doesNotMatch(r.stderr, /CONDUIT_DEBUG|^error: /m, 'not reported as an unknown error')
}

void test('--url file:<a regular file>: CONDUIT_STORAGE naming it, with a hint, exit 1', async () => {
  const file = path.join(root, 'plain-file')
  fs.writeFileSync(file, 'not a directory')
  assertStorageError(await conduit(['topics', 'list', '--url', `file:${file}`]), file)
  assertStorageError(await conduit(['produce', 't', '--url', `file:${file}/sub`], 'x\n'), file)
  assert.equal(fs.readFileSync(file, 'utf8'), 'not a directory')
})

void test('file:<dir whose topics/ is a file>: CONDUIT_STORAGE naming topics, exit 1', async () => {
  const dir = path.join(root, 'topics-is-a-file')
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(dir, 'topics'), '')
  assertStorageError(await conduit(['topics', 'list', '--url', `file:${dir}`]), path.join(dir, 'topics'))
})

void test('file:<dir whose FORMAT is a directory>: CONDUIT_STORAGE naming FORMAT, exit 1', async () => {
  const dir = path.join(root, 'format-is-a-dir')
  fs.mkdirSync(path.join(dir, 'FORMAT'), { recursive: true })
  assertStorageError(await conduit(['topics', 'list', '--url', `file:${dir}`]), path.join(dir, 'FORMAT'))
})

void test('a data directory this user may not create (EACCES): CONDUIT_STORAGE with the path, exit 1', async () => {
  const parent = path.join(root, 'read-only')
  fs.mkdirSync(parent, { mode: 0o555 })
  fs.chmodSync(parent, 0o555)
  fs.chmodSync(root, 0o755)
  // Root may write anywhere: then the CLI runs as nobody, for whom the 0555 directory is closed.
  const asUser =
    process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []
  const target = path.join(parent, 'data')
  // A command that writes (look-only ones such as topics list never create the directory).
  const r = await conduit(['topics', 'create', 'orders', '--url', `file:${target}`], '', asUser)
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stderr, /^error \[CONDUIT_STORAGE\]: could not create the data directory at .*: EACCES/)
  assert.ok(r.stderr.includes(target), r.stderr)
  assert.match(r.stderr, /\nhint: this process may not access the path/)
})

void test('a damaged topic.json: CONDUIT_CORRUPT_DATA names the repair command, which works', async () => {
  const dir = path.join(root, 'damaged')
  const url = `file:${dir}`
  assert.equal((await conduit(['produce', 'orders', '--url', url], 'one\ntwo\nthree\n')).code, 0)
  const meta = path.join(dir, 'topics', 'orders', 'topic.json')
  fs.writeFileSync(meta, '')
  const failed = await conduit(['consume', 'orders', '--count', '3', '--url', url])
  assert.equal(failed.code, 1, failed.stderr)
  assert.match(failed.stderr, /^error \[CONDUIT_CORRUPT_DATA\]: /)
  assert.ok(failed.stderr.includes(meta), failed.stderr)
  const command = /"conduit (repair topic orders --url \S+)"/.exec(failed.stderr)?.[1]
  assert.ok(command, `the hint names the command:\n${failed.stderr}`)
  const repaired = await conduit(command.split(' '))
  assert.equal(repaired.code, 0, repaired.stderr)
  assert.match(repaired.stderr, /repaired topic "orders": wrote .*topic\.json with 1 partition/)
  const consumed = await conduit(['consume', 'orders', '--count', '3', '--url', url])
  assert.equal(consumed.code, 0, consumed.stderr)
  assert.equal(consumed.stdout, 'one\ntwo\nthree\n')
})

void test('conduit repair topic refuses URLs that are not file:, and says so in its help', async () => {
  const r = await conduit(['repair', 'topic', 'orders', '--url', 'memory:'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /repair works on file: directories/)
  const help = await conduit(['repair', 'topic', '--help'])
  assert.equal(help.code, 0)
  assert.match(help.stdout, /Usage: conduit repair topic <topic> \[options\]/)
  assert.match(help.stdout, /CONDUIT_CORRUPT_DATA/)
})

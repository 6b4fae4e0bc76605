// The package as a user installs it: packed like `npm publish` would (tools/package/stage.ts),
// installed into a fresh `npm init -y` project from the tarball alone (--offline: its two
// dependencies come from the npm cache that `npm ci` filled), then imported by name, run as
// `npx conduit`, and driven through every command of README's CLI block, as written.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stagePackage } from '../../tools/package/stage.ts'

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>
  version: string
}
let work = ''
let project = ''

interface Run {
  status: number | null
  stdout: string
  stderr: string
}

function sh(command: string, cwd: string, timeout = 120_000): Run {
  const result = spawnSync('bash', ['-c', command], {
    cwd,
    encoding: 'utf8',
    timeout,
    // The user's shell: no CONDUIT_URL from the developer's environment, so the default applies.
    env: { ...process.env, CONDUIT_URL: '' },
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

function ok(command: string, cwd: string): Run {
  const run = sh(command, cwd)
  assert.equal(run.status, 0, `${command} exited ${run.status}:\n${run.stdout}\n${run.stderr}`)
  return run
}

before(() => {
  const staged = stagePackage()
  work = dirname(staged.dir)
  project = join(work, 'fresh-project')
  mkdirSync(project)
  ok('npm init -y', project)
  // Its dependencies first, as copies of the checkout's installed ones (--install-links): with
  // them in place npm needs no registry metadata for the tarball, so the install is offline for
  // real, from local files only.
  const dependencies = Object.keys(manifest.dependencies).map((name) =>
    JSON.stringify(fileURLToPath(new URL(`../../node_modules/${name}`, import.meta.url))),
  )
  ok(`npm install --offline --install-links --no-audit --no-fund ${dependencies.join(' ')}`, project)
  const install = ok(`npm install --offline --no-audit --no-fund ${JSON.stringify(staged.tarball)}`, project)
  assert.doesNotMatch(install.stderr, /warn/i, 'installing conduit-mq prints no warning')
})

after(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

void test('the installed package is imported by its name, with every subpath', () => {
  const script = `
    import { connect, ConduitError } from 'conduit-mq'
    for (const sub of ['memory', 'kafka', 'pulsar', 'pulsar-ws', 'rocketmq', 'testing']) await import('conduit-mq/' + sub)
    const broker = await connect('memory:')
    const producer = await broker.producer({ topic: 't' })
    const sent = await producer.send({ value: 'hello' })
    await broker.close()
    console.log(typeof ConduitError, sent.offset)
  `
  writeFileSync(join(project, 'check.mjs'), script)
  const run = ok('node check.mjs', project)
  assert.equal(run.stdout, 'function 0\n')
})

void test('npx conduit --help runs the installed command', () => {
  const run = ok('npx --offline conduit --help', project)
  assert.match(run.stdout, /^Usage: conduit <command>/)
})

void test("every command of README's CLI block runs as written, in order", () => {
  const section = readme.slice(readme.indexOf('## The `conduit` command'))
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1]
  assert.ok(block, 'README has a ```sh block under "The `conduit` command"')
  const commands = block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '')
  assert.ok(commands.length >= 5, `found ${commands.length} commands`)
  const outputs = new Map<string, string>()
  for (const command of commands) {
    assert.match(command, /npx conduit /, `README CLI line "${command}" runs npx conduit`)
    outputs.set(command, ok(command, project).stdout)
  }
  // What the block promises: the consume prints three JSON messages of the five produced.
  const consumed = [...outputs].find(([c]) => c.includes('consume'))?.[1] ?? ''
  const lines = consumed.trim().split('\n')
  assert.equal(lines.length, 3, consumed)
  // One key, so one partition: the first three lines of `seq 1 5`, in order.
  assert.deepEqual(
    lines.map((l) => (JSON.parse(l) as { value: string }).value),
    ['1', '2', '3'],
  )
  for (const line of lines) assert.equal((JSON.parse(line) as { key: string }).key, 'customer-7')
})

void test('npx conduit also runs inside the repository, from the sources, with no build', () => {
  const run = ok('npx --offline conduit --version', fileURLToPath(new URL('../../', import.meta.url)))
  assert.equal(run.stdout, `${manifest.version}\n`)
})

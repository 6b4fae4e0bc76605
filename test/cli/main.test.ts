import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { registerDriver } from '../../src/core/registry.ts'
import { ConnectionError } from '../../src/core/errors.ts'
import { runCli } from './run-cli.ts'

void test('no arguments and --help print the command list and the exit codes', async () => {
  for (const argv of [[], ['--help'], ['help']]) {
    const r = await runCli(argv)
    assert.equal(r.code, 0)
    for (const word of ['quickstart', 'produce', 'consume', 'topics', 'groups', 'bench', '130'])
      assert.match(r.stdout, new RegExp(word))
  }
})

void test('every command and subcommand has --help', async () => {
  const commands = [
    ['produce'],
    ['consume'],
    ['topics', 'list'],
    ['topics', 'create'],
    ['topics', 'delete'],
    ['topics', 'describe'],
    ['groups', 'list'],
    ['groups', 'describe'],
    ['bench'],
    ['quickstart'],
  ]
  for (const command of commands) {
    const r = await runCli([...command, '--help'])
    assert.equal(r.code, 0, command.join(' '))
    assert.match(r.stdout, new RegExp(`^Usage: conduit ${command.join(' ')}`), command.join(' '))
    assert.match(r.stdout, /--url URL/)
    assert.match(r.stdout, /Exit codes:/)
  }
  assert.match((await runCli(['topics'])).stdout, /topics create <topic>/)
  assert.match((await runCli(['help', 'groups'])).stdout, /groups describe <group>/)
  assert.match((await runCli(['help', 'consume'])).stdout, /--timeout-ms T/)
  assert.match(
    (await runCli(['help', 'consume'])).stdout,
    /--exit-at-end +stop at the end of every partition/,
  )
  assert.match((await runCli(['topics', 'create', '--help'])).stdout, /--if-not-exists +succeed \(exit 0\)/)
  assert.match((await runCli(['topics', 'list', '--help'])).stdout, /Creates nothing/)
})

void test('--version prints the package version', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  const r = await runCli(['--version'])
  assert.equal(r.code, 0)
  assert.equal(r.stdout, `${pkg.version}\n`)
})

void test('unknown commands and options are usage errors (exit 2)', async () => {
  let r = await runCli(['publish'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /^error \[CONDUIT_USAGE\]: unknown command "publish"/)
  r = await runCli(['topics', 'rename'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /unknown command "topics rename"; topics commands: list, create, delete, describe/)
  r = await runCli(['consume', 't', '--count', 'many'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /--count must be an integer/)
  assert.match(r.stderr, /hint: see "conduit consume --help"/)
  r = await runCli(['produce'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /missing topic/)
})

void test('an unknown URL scheme is a usage error listing the known schemes', async () => {
  const r = await runCli(['topics', 'list', '--url', 'nosuch://x'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /error \[CONDUIT_CONFIG\]: no driver for URL scheme "nosuch:"/)
})

void test('the URL comes from --url, else CONDUIT_URL', async () => {
  const seen: string[] = []
  registerDriver('seen', {
    name: 'seen',
    schemes: ['seen'],
    connect: async (url) => {
      seen.push(url)
      throw new ConnectionError(`connect ECONNREFUSED ${url}`)
    },
  })
  let r = await runCli(['topics', 'list'], { env: { CONDUIT_URL: 'seen://from-env' } })
  assert.equal(r.code, 1)
  r = await runCli(['topics', 'list', '--url', 'seen://from-flag'], {
    env: { CONDUIT_URL: 'seen://from-env' },
  })
  assert.equal(r.code, 1)
  assert.deepEqual(seen, ['seen://from-env', 'seen://from-flag'])
  assert.match(
    r.stderr,
    /^error \[CONDUIT_CONNECTION\]: connect ECONNREFUSED seen:\/\/from-flag\nhint: is the broker running/,
  )
})

void test('Ctrl-C while connecting gives up at once with 130', async () => {
  registerDriver('hang', { name: 'hang', schemes: ['hang'], connect: () => new Promise(() => {}) })
  const interrupt = new AbortController()
  setTimeout(() => interrupt.abort(), 50)
  const r = await runCli(['topics', 'list', '--url', 'hang:'], { signal: interrupt.signal })
  assert.equal(r.code, 130)
})

void test('--option passes driver settings to connect(), parsing JSON values', async () => {
  let seen: Record<string, unknown> | undefined
  registerDriver('opts', {
    name: 'opts',
    schemes: ['opts'],
    connect: async (_url, options) => {
      seen = options
      throw new ConnectionError('stop here')
    },
  })
  const r = await runCli([
    'topics',
    'list',
    '--url',
    'opts:',
    '--option',
    'adminUrl=http://127.0.0.1:8080',
    '-o',
    'timeoutMs=500',
    '-o',
    'tls={"rejectUnauthorized":false}',
  ])
  assert.equal(r.code, 1)
  assert.deepEqual(seen, {
    adminUrl: 'http://127.0.0.1:8080',
    timeoutMs: 500,
    tls: { rejectUnauthorized: false },
  })
  const bad = await runCli(['topics', 'list', '--url', 'opts:', '--option', 'novalue'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /expected name=value, got "novalue"/)
})

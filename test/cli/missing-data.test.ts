// Commands that only look never create a file: broker's directory or a topic: they say there is
// nothing there (lists: empty, with a note) or that the topic does not exist (exit 1, with a hint).

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import type { Driver } from '../../src/core/contract.ts'
import { AuthenticationError } from '../../src/core/errors.ts'
import { findDriver, registerDriver } from '../../src/core/registry.ts'
import { createFakeState, registerFakeDriver } from './fake-broker.ts'
import { runCli } from './run-cli.ts'

const root = await mkdtemp(path.join(tmpdir(), 'conduit-cli-missing-'))
after(() => rm(root, { recursive: true, force: true }))

void test('lists on a file: directory that does not exist are empty, with a note, and create nothing', async () => {
  const dir = path.join(root, 'lists')
  for (const what of ['topics', 'groups']) {
    let r = await runCli([what, 'list', '--url', `file:${dir}`])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, '')
    assert.equal(
      r.stderr,
      `note: no broker data in ${dir}: the directory does not exist, so there are no ${what}\n`,
    )
    r = await runCli([what, 'list', '--json'], { env: { CONDUIT_URL: `file:${dir}` } })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, '[]\n')
  }
  assert.equal(existsSync(dir), false)
})

void test('describe, consume and delete on a missing directory say the topic or group does not exist, exit 1', async () => {
  const dir = path.join(root, 'describe')
  const url = ['--url', `file:${dir}`]
  for (const argv of [
    ['topics', 'describe', 'orders'],
    ['topics', 'delete', 'orders'],
    ['consume', 'orders', '--timeout-ms', '50'],
  ]) {
    const r = await runCli([...argv, ...url])
    assert.equal(r.code, 1, argv.join(' '))
    assert.equal(
      r.stderr,
      `error [CONDUIT_NOT_FOUND]: topic "orders" does not exist (no broker data in ${dir}: the directory does not exist)\n` +
        'hint: create it with "conduit topics create orders" (same --url), or see the topics with "conduit topics list".\n',
    )
  }
  const r = await runCli(['groups', 'describe', 'billing', ...url])
  assert.equal(r.code, 1)
  assert.match(r.stderr, /^error \[CONDUIT_NOT_FOUND\]: group "billing" does not exist \(no broker data in /)
  assert.equal(existsSync(dir), false)
})

void test('consuming or describing a missing topic of an existing broker does not create it', async () => {
  const url = ['--url', `file:${path.join(root, 'existing')}`]
  assert.equal((await runCli(['topics', 'create', 'orders', ...url])).code, 0)
  for (const argv of [
    ['consume', 'typo', '--timeout-ms', '50'],
    ['topics', 'describe', 'typo'],
  ]) {
    const r = await runCli([...argv, ...url])
    assert.equal(r.code, 1, argv.join(' '))
    assert.equal(
      r.stderr,
      'error [CONDUIT_NOT_FOUND]: topic "typo" does not exist\n' +
        'hint: create it with "conduit topics create typo" (same --url), or see the topics with "conduit topics list".\n',
    )
  }
  assert.equal((await runCli(['topics', 'list', ...url])).stdout, 'orders\n')
  const missingGroup = await runCli(['groups', 'describe', 'nobody', ...url])
  assert.equal(missingGroup.code, 1)
  assert.match(missingGroup.stderr, /^error \[CONDUIT_NOT_FOUND\]: group "nobody" does not exist\n/)
})

void test('the same on memory:, where nothing is created either', async () => {
  const r = await runCli(['consume', 'typo', '--timeout-ms', '50', '--url', 'memory:'])
  assert.equal(r.code, 1)
  assert.match(r.stderr, /topic "typo" does not exist/)
})

void test('topics create --if-not-exists succeeds on an existing topic and leaves it as it is', async () => {
  const url = ['--url', `file:${path.join(root, 'create')}`]
  let r = await runCli(['topics', 'create', 'orders', '--partitions', '2', '--if-not-exists', ...url])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, 'created topic "orders" with 2 partitions\n')
  r = await runCli(['topics', 'create', 'orders', '--partitions', '5', '--if-not-exists', ...url])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, 'topic "orders" exists already; left as it is\n')
  assert.match((await runCli(['topics', 'describe', 'orders', ...url])).stdout, /: 2 partitions\n/)
  r = await runCli(['topics', 'create', 'orders', ...url])
  assert.notEqual(r.code, 0, 'without the flag it is still an error')
  assert.match(r.stderr, /already exists/)
})

void test('--url file:// (the root directory) is a usage error and opens nothing', async () => {
  for (const url of ['file://', 'file:///', 'file:/']) {
    const r = await runCli(['topics', 'create', 'orders', '--url', url])
    assert.equal(r.code, 2, url)
    assert.match(
      r.stderr,
      /^error \[CONDUIT_CONFIG\]: "file:\/*" names the root directory \/, not a data directory/,
    )
  }
})

void test('credentials that may not list topics still consume: the existence check is skipped', async () => {
  const state = createFakeState()
  registerFakeDriver(state)
  registerDriver('nolist', async () => {
    const driver = (await findDriver('fake:')) as Driver
    return {
      name: 'nolist',
      schemes: ['nolist'],
      async connect(url, options) {
        const broker = await driver.connect(url, options)
        const refuse = async (): Promise<never> => {
          throw new AuthenticationError('admin GET /admin/v2/tenants: HTTP 401 Unauthorized')
        }
        return { ...broker, admin: { ...broker.admin, listTopics: refuse } }
      },
    }
  })
  await runCli(['topics', 'create', 'orders', '--url', 'fake:'])
  await runCli(['produce', 'orders', '--url', 'fake:'], { stdin: 'a\n' })
  const r = await runCli(['consume', 'orders', '--count', '1', '--url', 'nolist:'])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, 'a\n')
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createFakeState, registerFakeDriver } from './fake-broker.ts'
import { runCli } from './run-cli.ts'

const state = createFakeState()
registerFakeDriver(state)
const URL = ['--url', 'fake:']

void test('create, list, describe and delete a topic', async () => {
  let r = await runCli(['topics', 'create', 'orders', '--partitions', '3', ...URL])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, 'created topic "orders" with 3 partitions\n')
  assert.equal(state.topics.get('orders')!.length, 3)
  await runCli(['topics', 'create', 'audit', ...URL])

  r = await runCli(['topics', 'list', ...URL])
  assert.equal(r.stdout, 'audit\norders\n')
  r = await runCli(['topics', 'list', '--json', ...URL])
  assert.deepEqual(JSON.parse(r.stdout), ['audit', 'orders'])

  await runCli(['produce', 'orders', '--partition', '1', ...URL], { stdin: 'a\nb\n' })
  r = await runCli(['topics', 'describe', 'orders', ...URL])
  assert.equal(
    r.stdout,
    [
      'topic "orders": 3 partitions',
      'partition  earliest  latest  messages',
      '        0         0       0         0',
      '        1         0       2         2',
      '        2         0       0         0',
      '',
    ].join('\n'),
  )
  r = await runCli(['topics', 'describe', 'orders', '--configs', ...URL])
  assert.match(r.stdout, /\nconfig cleanup\.policy=delete\nconfig retention\.ms=604800000\n$/)
  r = await runCli(['topics', 'describe', 'orders', '--json', ...URL])
  assert.equal((JSON.parse(r.stdout) as { partitions: unknown[] }).partitions.length, 3)

  r = await runCli(['topics', 'delete', 'orders', ...URL])
  assert.equal(r.code, 0)
  assert.equal(state.topics.has('orders'), false)
})

void test('broker refusals exit 1 with the broker error; bad arguments exit 2', async () => {
  await runCli(['topics', 'create', 'twice', ...URL])
  let r = await runCli(['topics', 'create', 'twice', ...URL])
  assert.equal(r.code, 1)
  assert.match(
    r.stderr,
    /error \[CONDUIT_BROKER\]: topic "twice" already exists\nbroker error: TOPIC_ALREADY_EXISTS \(36\)/,
  )
  r = await runCli(['topics', 'describe', 'missing', ...URL])
  assert.equal(r.code, 1)
  r = await runCli(['topics', 'create', 'x', '--partitions', '0', ...URL])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /--partitions must be between 1 and 1000000, got 0/)
  r = await runCli(['topics', 'create', ...URL])
  assert.equal(r.code, 2)
  r = await runCli(['topics', 'list', 'extra', ...URL])
  assert.equal(r.code, 2)
})

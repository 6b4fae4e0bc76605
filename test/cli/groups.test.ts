import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatGroup } from '../../src/cli/groups.ts'
import { createFakeState, registerFakeDriver } from './fake-broker.ts'
import { runCli } from './run-cli.ts'

const state = createFakeState()
registerFakeDriver(state)
const URL = ['--url', 'fake:']

void test('groups list and describe show the lag per partition after a partial consume', async () => {
  await runCli(['topics', 'create', 'events', '--partitions', '2', ...URL])
  await runCli(['produce', 'events', ...URL], { stdin: '1\n2\n3\n4\n5\n' })
  await runCli(['consume', 'events', '--group', 'readers', '--count', '2', ...URL])

  let r = await runCli(['groups', 'list', ...URL])
  assert.equal(r.stdout, 'readers\n')
  r = await runCli(['groups', 'describe', 'readers', ...URL])
  assert.equal(r.code, 0, r.stderr)
  const lagLines = r.stdout.split('\n').filter((l) => l.startsWith('events'))
  const lag = lagLines.map((l) =>
    l
      .trim()
      .split(/\s+/)
      .map((x) => (/^\d+$/.test(x) ? Number(x) : x)),
  )
  const total = lag.reduce((sum, row) => sum + (row[4] as number), 0)
  assert.equal(total, 3)
  assert.match(r.stdout, /total lag: 3\n$/)
  r = await runCli(['groups', 'describe', 'readers', '--json', ...URL])
  assert.equal((JSON.parse(r.stdout) as { group: string }).group, 'readers')
})

void test('the group table shows members, their partitions and missing commits as -', () => {
  const text = formatGroup({
    group: 'g',
    state: 'Stable',
    members: [{ id: 'm-1', client: 'conduit', assignments: [{ topic: 't', partition: 0 }] }],
    offsets: [
      { topic: 't', partition: 1, committed: null, end: 4, lag: 4 },
      { topic: 't', partition: 0, committed: 3, end: 5, lag: 2 },
    ],
  })
  assert.equal(
    text,
    [
      'group "g": Stable, 1 member',
      '',
      'member  client   host  partitions',
      'm-1     conduit  -     t/0',
      '',
      'topic  partition  committed  end  lag',
      't              0          3    5    2',
      't              1          -    4    4',
      'total lag: 6',
      '',
    ].join('\n'),
  )
})

void test('partitions without a commit show - and are named in the total', () => {
  const description = {
    group: 'g',
    state: 'Empty',
    members: [],
    offsets: [{ topic: 't', partition: 0, committed: 2, end: 5, lag: 3 }],
  }
  const text = formatGroup(description, [
    ...description.offsets,
    { topic: 't', partition: 1, committed: null, end: 4, lag: null },
  ])
  assert.match(text, /t {14}1 {10}- {4}4 {4}-\n/)
  assert.match(text, /total lag: 3 \(not counting 1 partition without a commit\)\n$/)
})

// The CLI in-process against the real embedded broker: `file:<tmpdir>` (durable, shared between
// invocations like separate shell commands) and `memory:`.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from './run-cli.ts'

const dir = await mkdtemp(join(tmpdir(), 'conduit-cli-e2e-'))
const URL = ['--url', `file:${dir}`]
test.after(() => rm(dir, { recursive: true, force: true }))

const suffix = () => Math.random().toString(36).slice(2, 8)

void test('produce, consume as a group in two steps, and describe the lag in between', async () => {
  const topic = `orders-${suffix()}`
  assert.equal((await runCli(['topics', 'create', topic, '--partitions', '3', ...URL])).code, 0)
  const lines = Array.from({ length: 30 }, (_, i) => `order ${i}`).join('\n')
  const produced = await runCli(['produce', topic, '--header', 'source=cli', ...URL], { stdin: lines })
  assert.equal(produced.code, 0, produced.stderr)
  assert.match(produced.stderr, /produced 30 messages/)

  const first = await runCli([
    'consume',
    topic,
    '--group',
    'billing',
    '--count',
    '12',
    '--format',
    'json',
    ...URL,
  ])
  assert.equal(first.code, 0, first.stderr)
  const printed = first.stdout.trimEnd().split('\n')
  assert.equal(printed.length, 12)
  for (const line of printed) {
    const m = JSON.parse(line) as { topic: string; headers: Record<string, string>; value: string }
    assert.equal(m.topic, topic)
    assert.deepEqual(m.headers, { source: 'cli' })
    assert.match(m.value, /^order \d+$/)
  }

  const lag = await runCli(['groups', 'describe', 'billing', '--json', ...URL])
  assert.equal(lag.code, 0, lag.stderr)
  const group = JSON.parse(lag.stdout) as { offsets: { topic: string; lag: number; committed: number }[] }
  const mine = group.offsets.filter((o) => o.topic === topic)
  assert.equal(
    mine.reduce((sum, o) => sum + o.committed, 0),
    12,
    'exactly the printed messages are committed',
  )
  const table = await runCli(['groups', 'describe', 'billing', ...URL])
  const rows = table.stdout.split('\n').filter((l) => l.startsWith(topic))
  assert.equal(rows.length, 3, `every partition is listed, also one without a commit:\n${table.stdout}`)

  const rest = await runCli([
    'consume',
    topic,
    '--group',
    'billing',
    '--timeout-ms',
    '200',
    '--format',
    'json',
    ...URL,
  ])
  const all = [...printed, ...rest.stdout.trimEnd().split('\n')].map(
    (l) => (JSON.parse(l) as { value: string }).value,
  )
  assert.deepEqual(
    all.sort(),
    Array.from({ length: 30 }, (_, i) => `order ${i}`).sort(),
    'every message exactly once over the two runs',
  )
  const text = await runCli(['groups', 'describe', 'billing', ...URL])
  assert.match(text.stdout, /total lag: 0\n$/)
})

void test('consume --format json piped into produce --format json copies messages byte for byte', async () => {
  const source = `src-${suffix()}`
  const copy = `copy-${suffix()}`
  const binary = new Uint8Array([0xff, 0xfe, 0x00, 0x41, 0x0a - 1])
  const input = [
    JSON.stringify({ key: 'k1', value: 'plain text', headers: { a: '1' } }),
    JSON.stringify({ key: null, value: Buffer.from(binary).toString('base64'), encoding: 'base64' }),
  ].join('\n')
  assert.equal((await runCli(['produce', source, '--format', 'json', ...URL], { stdin: input })).code, 0)
  const out = await runCli(['consume', source, '--count', '2', '--format', 'json', ...URL])
  assert.equal((await runCli(['produce', copy, '--format', 'json', ...URL], { stdin: out.stdout })).code, 0)
  const copied = await runCli(['consume', copy, '--count', '2', '--format', 'value', ...URL])
  assert.deepEqual([...copied.stdoutBytes], [...Buffer.from('plain text\n'), ...binary, 0x0a])
  const json = copied.stdout
  assert.ok(json.length > 0)
})

void test('a consumer reading from a timestamp skips older messages', async () => {
  const topic = `timed-${suffix()}`
  await runCli(['produce', topic, ...URL], { stdin: 'old\n' })
  await new Promise((resolve) => setTimeout(resolve, 20))
  const since = new Date().toISOString()
  await new Promise((resolve) => setTimeout(resolve, 20))
  await runCli(['produce', topic, ...URL], { stdin: 'new\n' })
  const r = await runCli(['consume', topic, '--from', since, '--timeout-ms', '200', ...URL])
  assert.equal(r.stdout, 'new\n')
})

void test('topics list/describe/delete on the durable broker', async () => {
  const topic = `admin-${suffix()}`
  await runCli(['topics', 'create', topic, '--partitions', '2', ...URL])
  assert.match((await runCli(['topics', 'list', ...URL])).stdout, new RegExp(`^${topic}$`, 'm'))
  const described = await runCli(['topics', 'describe', topic, ...URL])
  assert.match(
    described.stdout,
    new RegExp(`topic "${topic}": 2 partitions\npartition  earliest  latest  messages\n`),
  )
  assert.equal((await runCli(['topics', 'delete', topic, ...URL])).code, 0)
  assert.doesNotMatch((await runCli(['topics', 'list', ...URL])).stdout, new RegExp(`^${topic}$`, 'm'))
  const missing = await runCli(['topics', 'describe', topic, ...URL])
  assert.notEqual(missing.code, 0)
  assert.match(missing.stderr, /does not exist/)
})

for (const url of ['memory:', `file:${dir}`]) {
  void test(`bench on ${url.slice(0, 7)} delivers every message with several producers and consumers`, async () => {
    const r = await runCli([
      'bench',
      '--url',
      url,
      '--messages',
      '20000',
      '--size',
      '100',
      '--producers',
      '2',
      '--consumers',
      '2',
      '--json',
    ])
    assert.equal(r.code, 0, r.stderr)
    const result = JSON.parse(r.stdout) as {
      produce: { messages: number }
      endToEnd: { messages: number; messagesPerSecond: number }
    }
    assert.equal(result.produce.messages, 20000)
    assert.equal(result.endToEnd.messages, 20000)
    assert.ok(result.endToEnd.messagesPerSecond > 0)
  })
}

void test('quickstart runs the whole tour on a fresh embedded broker and ends with next steps', async () => {
  const r = await runCli(['quickstart'])
  assert.equal(r.code, 0, r.stderr)
  for (const expected of [
    /connect\('file:.*conduit-quickstart-/,
    /createTopic\('orders', \{ partitions: 3 \}\)/,
    /key: 'alice'.*→ partition 0, offset 0/,
    /after ack\(\):[\s\S]*total lag: 4/,
    /nack\(\)[\s\S]*redeliveryCount 1/,
    /all 6 orders acknowledged[\s\S]*total lag: 0/,
    /kafka:\/\/127\.0\.0\.1:9092/,
    /pulsar:\/\/127\.0\.0\.1:6650/,
    /ws:\/\/127\.0\.0\.1:8080/,
    /rocketmq:\/\/127\.0\.0\.1:9876/,
  ]) {
    assert.match(r.stdout, expected)
  }
})

void test('quickstart --url memory: uses suffixed names and cleans up', async () => {
  const r = await runCli(['quickstart', '--url', 'memory:'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /createTopic\('orders-[0-9a-f]{6}'/)
})

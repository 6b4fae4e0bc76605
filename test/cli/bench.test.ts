import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createFakeState, registerFakeDriver } from './fake-broker.ts'
import { runCli } from './run-cli.ts'

const state = createFakeState()
registerFakeDriver(state)
const URL = ['--url', 'fake:']

interface Phase {
  messages: number
  seconds: number
  messagesPerSecond: number
  megabytesPerSecond: number
  latencyMicros: { p50: number; p99: number; p999: number; max: number }
}

void test('--json reports both phases for every message and deletes its topic', async () => {
  const r = await runCli([
    'bench',
    '--messages',
    '3000',
    '--size',
    '64',
    '--producers',
    '3',
    '--batch',
    '50',
    '--json',
    ...URL,
  ])
  assert.equal(r.code, 0, r.stderr)
  const result = JSON.parse(r.stdout) as {
    produce: Phase
    endToEnd: Phase
    partitions: number
    duplicates: number
  }
  assert.equal(result.partitions, 3)
  assert.equal(result.duplicates, 0)
  for (const phase of [result.produce, result.endToEnd]) {
    assert.equal(phase.messages, 3000)
    assert.ok(phase.seconds > 0)
    assert.ok(Math.abs(phase.megabytesPerSecond - (phase.messagesPerSecond * 64) / 1e6) < 1e-6)
    const l = phase.latencyMicros
    assert.ok(l.p50 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max, JSON.stringify(l))
  }
  assert.deepEqual([...state.topics.keys()], [])
})

void test('the text report is a table with throughput and percentiles', async () => {
  const r = await runCli(['bench', '--messages', '500', ...URL])
  assert.equal(r.code, 0, r.stderr)
  assert.match(
    r.stdout,
    /^conduit bench on fake:\n500 messages of 100 B; 1 producer \(send batches of 100\), 1 consumer; 1 partition\n/,
  )
  assert.match(r.stdout, /msg\/s\s+MB\/s\s+p50\s+p99\s+p999/)
  assert.match(r.stdout, /produce→ack\s+500\s/)
  assert.match(r.stdout, /\n\s+messages\s+time\s+msg\/s/, 'numeric columns are right-aligned')
  assert.match(r.stdout, /end-to-end\s+500\s/)
  assert.equal(r.stderr, '', 'no progress bar when stderr is not a terminal')
})

void test('a stalled broker fails the run with a timeout after --timeout-ms without progress', async () => {
  state.deliver = false
  try {
    const r = await runCli(['bench', '--messages', '100', '--timeout-ms', '300', ...URL])
    assert.equal(r.code, 1)
    assert.match(
      r.stderr,
      /error \[CONDUIT_TIMEOUT\]: bench made no progress for 300 ms: 100 of 100 messages acknowledged, 0 consumed/,
    )
    assert.deepEqual([...state.topics.keys()], [], 'the bench topic is deleted after a failure too')
  } finally {
    state.deliver = true
  }
})

void test('bad sizes and counts are usage errors', async () => {
  for (const args of [
    ['--size', '4'],
    ['--messages', '0'],
    ['--producers', '0'],
    ['--size', '2000'],
  ]) {
    const r = await runCli(['bench', ...args, ...URL])
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
  }
})

void test('the report never shows a password or token from the URL, as text or JSON', async () => {
  const url = 'fake://alice:hunter2@broker:9092?token=tok-secret&clientId=bench'
  const text = await runCli(['bench', '--messages', '100', '--url', url])
  assert.equal(text.code, 0, text.stderr)
  assert.match(
    text.stdout,
    /^conduit bench on fake:\/\/alice:\*\*\*@broker:9092\?token=\*\*\*&clientId=bench\n/,
  )
  const json = await runCli(['bench', '--messages', '100', '--json', '--url', url])
  assert.equal(json.code, 0, json.stderr)
  assert.equal(
    (JSON.parse(json.stdout) as { url: string }).url,
    'fake://alice:***@broker:9092?token=***&clientId=bench',
  )
  for (const r of [text, json]) {
    assert.doesNotMatch(r.stdout + r.stderr, /hunter2|tok-secret/)
  }
})

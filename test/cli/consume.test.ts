import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createMessage } from '../../src/core/message.ts'
import type { Message } from '../../src/core/contract.ts'
import { createFakeState, registerFakeDriver } from './fake-broker.ts'
import { Collector, runCli } from './run-cli.ts'

const state = createFakeState()
registerFakeDriver(state)
const URL = ['--url', 'fake:']

function topicWith(name: string, values: (string | Uint8Array)[], partitions = 1): Message[][] {
  const logs: Message[][] = Array.from({ length: partitions }, () => [])
  values.forEach((v, i) => {
    const partition = i % partitions
    const log = logs[partition]!
    const value = typeof v === 'string' ? new TextEncoder().encode(v) : v
    log.push(
      createMessage({
        topic: name,
        partition,
        offset: log.length,
        id: `${partition}:${log.length}`,
        key: null,
        value,
        timestamp: 5,
      }),
    )
  })
  state.topics.set(name, logs)
  return logs
}

void test('prints values, one per line, and stops after --count', async () => {
  topicWith('plain', ['a', 'b', 'c'])
  const r = await runCli(['consume', 'plain', '--count', '2', ...URL])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, 'a\nb\n')
  assert.equal(r.stderr, 'consumed 2 messages from "plain"\n')
})

void test('--format json prints every field; non-UTF-8 values as base64', async () => {
  topicWith('json', ['héllo', new Uint8Array([0xff, 0x00])])
  const r = await runCli(['consume', 'json', '--format', 'json', '--count', '2', ...URL])
  assert.equal(r.code, 0, r.stderr)
  const lines = r.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  assert.deepEqual(lines[0], {
    topic: 'json',
    partition: 0,
    offset: 0,
    key: null,
    value: 'héllo',
    headers: {},
    timestamp: 5,
  })
  assert.deepEqual(lines[1], {
    topic: 'json',
    partition: 0,
    offset: 1,
    key: null,
    value: '/wA=',
    headers: {},
    timestamp: 5,
    encoding: 'base64',
  })
})

void test('a group commits exactly what was printed, so the next run continues there', async () => {
  topicWith('grouped', ['1', '2', '3', '4', '5'])
  let r = await runCli(['consume', 'grouped', '--group', 'g', '--count', '2', ...URL])
  assert.equal(r.stdout, '1\n2\n')
  assert.match(r.stderr, /as group "g" \(acknowledged and committed\)/)
  assert.equal(state.committed.get('g')!.get('grouped/0'), 2)
  r = await runCli(['consume', 'grouped', '--group', 'g', '--count', '2', ...URL])
  assert.equal(r.stdout, '3\n4\n')
  r = await runCli(['consume', 'grouped', '--group', 'g', '--timeout-ms', '100', ...URL])
  assert.equal(r.stdout, '5\n')
  assert.equal(state.committed.get('g')!.get('grouped/0'), 5)
})

void test('--timeout-ms stops after that long without a message', async () => {
  topicWith('quiet', [])
  const started = Date.now()
  const r = await runCli(['consume', 'quiet', '--timeout-ms', '150', ...URL])
  assert.equal(r.code, 0)
  assert.ok(Date.now() - started >= 140)
  assert.match(r.stderr, /consumed 0 messages from "quiet"; stopped after 150 ms without a message/)
})

void test('--from latest skips history and offsets start there', async () => {
  topicWith('history', ['old1', 'old2', 'old3'])
  let r = await runCli(['consume', 'history', '--from', 'latest', '--timeout-ms', '100', ...URL])
  assert.equal(r.stdout, '')
  r = await runCli(['consume', 'history', '--from', '1', '--count', '1', ...URL])
  assert.equal(r.stdout, 'old2\n')
})

/**
 * A topic holding `first` alone, and a stdout that, when the first line is printed, appends
 * `later` at once: the next batch then holds more than a `--count` of 3 still wants.
 */
function straddlingTopic(topic: string, first: string, later: string[]): Collector {
  topicWith(topic, [first])
  const stdout = new Collector()
  const write = stdout.write.bind(stdout)
  let arrived = false
  stdout.write = (chunk) => {
    if (!arrived) {
      arrived = true
      const log = state.topics.get(topic)![0]!
      for (const value of later) {
        const offset = log.length
        const fields = { topic, partition: 0, offset, id: `0:${offset}`, key: null, timestamp: 5 }
        log.push(createMessage({ ...fields, value: new TextEncoder().encode(value) }))
      }
      for (const wake of [...state.waiters]) wake()
      state.waiters.clear()
    }
    return write(chunk)
  }
  return stdout
}

void test('a batch larger than what --count still wants is given back unprinted, so printed = committed', async () => {
  // m0 alone first, then the next batch (maxBatch 3) would straddle the count of 3.
  const stdout = straddlingTopic('straddle', 'm0', ['m1', 'm2', 'm3', 'm4', 'm5'])
  const r = await runCli(['consume', 'straddle', '--group', 's', '--count', '3', ...URL], { stdout })
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, 'm0\nm1\nm2\n')
  assert.equal(state.committed.get('s')!.get('straddle/0'), 3)
  const rest = await runCli(['consume', 'straddle', '--group', 's', '--timeout-ms', '100', ...URL])
  assert.equal(rest.stdout, 'm3\nm4\nm5\n')
})

void test('without a group, a batch straddling --count is printed up to the count, nothing twice', async () => {
  const stdout = straddlingTopic('straddle-nogroup', 'n0', ['n1', 'n2', 'n3', 'n4', 'n5'])
  const r = await runCli(['consume', 'straddle-nogroup', '--count', '3', ...URL], { stdout })
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, 'n0\nn1\nn2\n')
  assert.match(r.stderr, /consumed 3 messages/)
})

void test('Ctrl-C stops, commits what was printed and exits 130', async () => {
  topicWith('live', ['x', 'y'])
  const interrupt = new AbortController()
  const stdout = new Collector()
  const write = stdout.write.bind(stdout)
  let printed = 0
  stdout.write = (chunk) => {
    if (++printed === 2) interrupt.abort()
    return write(chunk)
  }
  const r = await runCli(['consume', 'live', '--group', 'live-g', ...URL], {
    signal: interrupt.signal,
    stdout,
  })
  assert.equal(r.code, 130)
  assert.equal(r.stdout, 'x\ny\n')
  assert.equal(state.committed.get('live-g')!.get('live/0'), 2)
  assert.match(r.stderr, /consumed 2 messages.*; interrupted/)
})

void test('bad arguments are usage errors', async () => {
  for (const args of [
    ['--from', 'yesterday'],
    ['--format', 'xml'],
    ['--count', '0'],
    ['--timeout-ms', '-5'],
  ]) {
    const r = await runCli(['consume', 't', ...args, ...URL])
    assert.equal(r.code, 2, args.join(' '))
  }
})

void test('when stdout closes mid-batch, the batch is given back instead of acknowledged', async () => {
  topicWith('piped', ['p1', 'p2', 'p3'])
  const interrupt = new AbortController()
  const readerGone = new AbortController()
  const stdout = new Collector()
  const write = stdout.write.bind(stdout)
  stdout.write = (chunk) => {
    write(chunk)
    // Like `| head -1`: the reader leaves after the first line.
    readerGone.abort()
    interrupt.abort()
    return false
  }
  const r = await runCli(['consume', 'piped', '--group', 'pipe-g', ...URL], {
    signal: interrupt.signal,
    stdout,
    stdoutClosed: readerGone.signal,
  })
  assert.equal(r.stdout, 'p1\n')
  assert.equal(state.committed.get('pipe-g')!.get('piped/0'), undefined, 'nothing committed')
  assert.match(r.stderr, /consumed 0 messages.*stdout closed by its reader/)
  const again = await runCli(['consume', 'piped', '--group', 'pipe-g', '--count', '3', ...URL])
  assert.equal(again.stdout, 'p1\np2\np3\n')
})

void test('a driver that ignores maxBatch makes --count fail loudly instead of over-printing', async () => {
  topicWith('unbounded', ['1', '2', '3', '4'])
  state.ignoreMaxBatch = true
  try {
    const r = await runCli(['consume', 'unbounded', '--group', 'u', '--count', '2', ...URL])
    assert.equal(r.code, 1)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /error \[CONDUIT_UNSUPPORTED\]: .*batch of 4 messages although maxBatch was 2/)
    assert.equal(state.committed.get('u')!.get('unbounded/0'), undefined)
  } finally {
    state.ignoreMaxBatch = false
  }
})

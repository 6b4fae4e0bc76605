import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createFakeState, registerFakeDriver } from './fake-broker.ts'
import { runCli } from './run-cli.ts'

const state = createFakeState()
registerFakeDriver(state)
const URL = ['--url', 'fake:']

function topic(name: string, partitions = 1) {
  state.topics.set(
    name,
    Array.from({ length: partitions }, () => []),
  )
  return state.topics.get(name)!
}

void test('each line of stdin becomes one acknowledged message; a summary goes to stderr', async () => {
  const log = topic('lines', 1)
  const r = await runCli(['produce', 'lines', ...URL], { stdin: 'one\ntwo\r\n\nfour' })
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(
    log[0]!.map((m) => m.valueString()),
    ['one', 'two', '', 'four'],
  )
  assert.equal(r.stdout, '')
  assert.match(r.stderr, /^produced 4 messages to "lines" in \d+ms\n$/)
})

void test('--key, --header and --partition apply to every message', async () => {
  const log = topic('opts', 3)
  const r = await runCli(
    ['produce', 'opts', '--key', 'k1', '--header', 'a=1', '--header', 'b=x=y', '--partition', '2', ...URL],
    {
      stdin: 'v1\nv2\n',
    },
  )
  assert.equal(r.code, 0, r.stderr)
  assert.equal(log[0]!.length + log[1]!.length, 0)
  assert.deepEqual(
    log[2]!.map((m) => [m.keyString(), m.valueString(), m.headers]),
    [
      ['k1', 'v1', { a: '1', b: 'x=y' }],
      ['k1', 'v2', { a: '1', b: 'x=y' }],
    ],
  )
})

void test('binary lines are sent byte for byte', async () => {
  const log = topic('binary')
  const r = await runCli(['produce', 'binary', ...URL], {
    stdin: new Uint8Array([0xff, 0x00, 0xfe, 0x0a, 0x41]),
  })
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual([...log[0]![0]!.value!], [0xff, 0x00, 0xfe])
  assert.deepEqual([...log[0]![1]!.value!], [0x41])
})

void test('--format json reads key, value, headers (and base64); flag headers are defaults', async () => {
  const log = topic('json')
  const input = [
    '{"key":"a","value":"first","headers":{"x":"1"}}',
    '{"value":"/wA=","encoding":"base64"}',
    '{"key":null,"value":null}',
  ].join('\n')
  const r = await runCli(
    ['produce', 'json', '--format', 'json', '--header', 'x=0', '--header', 'y=2', '--key', 'dflt', ...URL],
    {
      stdin: input,
    },
  )
  assert.equal(r.code, 0, r.stderr)
  const [first, second, third] = log[0]!
  assert.equal(first!.keyString(), 'a')
  assert.deepEqual(first!.headers, { x: '1', y: '2' })
  assert.deepEqual([...second!.value!], [0xff, 0x00])
  assert.equal(second!.keyString(), 'dflt')
  assert.equal(third!.key, null)
  assert.equal(third!.value, null)
})

void test('bad lines and refused messages are counted, listed by line, and make the exit code 1', async () => {
  const log = topic('partly')
  state.rejectValues.add('refused')
  const input = ['{"value":"ok"}', 'not json', '{"value":"refused"}', '{"value":"ok too"}'].join('\n')
  const r = await runCli(['produce', 'partly', '--format', 'json', ...URL], { stdin: input })
  assert.equal(r.code, 1)
  assert.deepEqual(
    log[0]!.map((m) => m.valueString()),
    ['ok', 'ok too'],
  )
  assert.match(r.stderr, /produced 2 messages to "partly".*; 2 messages NOT acknowledged:/)
  assert.match(r.stderr, /line 2: error \[CONDUIT_CONFIG\]: not valid JSON/)
  assert.match(r.stderr, /line 3: error \[CONDUIT_BROKER\]: the broker refused this record/)
})

void test('a line larger than the broker accepts fails alone, without being buffered whole', async () => {
  const log = topic('big')
  const big = 'x'.repeat(state.maxMessageBytes + 1)
  const r = await runCli(['produce', 'big', ...URL], { stdin: `small\n${big}\nafter\n` })
  assert.equal(r.code, 1)
  assert.deepEqual(
    log[0]!.map((m) => m.valueString()),
    ['small', 'after'],
  )
  assert.match(
    r.stderr,
    new RegExp(`line 2: error \\[CONDUIT_MESSAGE_TOO_LARGE\\]: message of ${big.length} bytes`),
  )
})

void test('a partition that does not exist fails every message', async () => {
  topic('one')
  const r = await runCli(['produce', 'one', '--partition', '5', ...URL], { stdin: 'a\nb\n' })
  assert.equal(r.code, 1)
  assert.match(r.stderr, /2 messages NOT acknowledged/)
})

void test('a missing topic is reported with the broker error and exit 1', async () => {
  const r = await runCli(['produce', 'nope', ...URL], { stdin: 'a\n' })
  assert.equal(r.code, 1)
  assert.match(r.stderr, /UNKNOWN_TOPIC_OR_PARTITION|does not exist/)
})

void test('Ctrl-C stops reading stdin, waits for what was sent, reports it and exits 130', async () => {
  const log = topic('endless')
  const interrupt = new AbortController()
  async function* endless(): AsyncGenerator<string> {
    yield 'a\nb\n'
    interrupt.abort()
    await new Promise(() => {}) // stdin that never ends
  }
  const r = await runCli(['produce', 'endless', ...URL], { stdin: endless(), signal: interrupt.signal })
  assert.equal(r.code, 130)
  assert.equal(log[0]!.length, 2)
  assert.match(r.stderr, /produced 2 messages.*\ninterrupted/)
})

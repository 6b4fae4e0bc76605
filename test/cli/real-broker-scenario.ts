// One CLI session against a real broker, shared by test/integration/<broker>/cli.test.ts: the
// same commands a user types, in-process, through nothing but the URL (and driver options).

import assert from 'node:assert/strict'
import { runCli } from './run-cli.ts'

interface JsonLine {
  topic: string
  partition: number
  key: string | null
  value: string
  headers: Record<string, string>
}

export interface SessionOptions {
  /** Driver options as CLI arguments, e.g. ['--option', 'adminUrl=…']. */
  cliOptions?: string[]
  /**
   * Whether the second run of the group must print only what the first did not. False where
   * the broker acknowledges storage units larger than a message: Pulsar acks a batch entry only
   * when all of its messages are acked (without batch-index acks), so messages of a partly
   * printed entry come again — at-least-once, never loss.
   */
  exactlyOnceAcrossRuns: boolean
}

export async function cliSessionAgainst(url: string, session: SessionOptions): Promise<void> {
  const common = ['--url', url, ...(session.cliOptions ?? [])]
  const suffix = Math.random().toString(36).slice(2, 8)
  const topic = `cli-${suffix}`
  const group = `cli-group-${suffix}`

  let r = await runCli(['topics', 'create', topic, '--partitions', '2', ...common])
  assert.equal(r.code, 0, r.stderr)

  const values = Array.from({ length: 20 }, (_, i) => `message ${i}`)
  r = await runCli(['produce', topic, '--header', 'via=cli', ...common], { stdin: values.join('\n') + '\n' })
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /produced 20 messages/)

  // Two runs of one group: together they print every message exactly once.
  const first = await runCli([
    'consume',
    topic,
    '--group',
    group,
    '--count',
    '8',
    '--format',
    'json',
    ...common,
  ])
  assert.equal(first.code, 0, first.stderr)
  const second = await runCli([
    'consume',
    topic,
    '--group',
    group,
    '--count',
    session.exactlyOnceAcrossRuns ? '12' : '20',
    '--timeout-ms',
    session.exactlyOnceAcrossRuns ? '60000' : '5000',
    '--format',
    'json',
    ...common,
  ])
  assert.equal(second.code, 0, second.stderr)
  const lines = [...first.stdout.trimEnd().split('\n'), ...second.stdout.trimEnd().split('\n')].map(
    (l) => JSON.parse(l) as JsonLine,
  )
  if (session.exactlyOnceAcrossRuns) {
    assert.equal(lines.length, 20)
    assert.deepEqual(lines.map((l) => l.value).sort(), [...values].sort())
  } else {
    // The second run reads what is left, and again what came back, until 5 s pass without a message.
    assert.deepEqual([...new Set(lines.map((l) => l.value))].sort(), [...values].sort())
  }
  for (const line of lines) {
    assert.deepEqual(line.headers, { via: 'cli' })
    assert.ok(line.partition === 0 || line.partition === 1)
  }

  // --exit-at-end: a new group (and a reader without one) prints everything and stops by itself;
  // the test's own timeout is what fails a run that would wait on.
  for (const extra of [['--group', `${group}-end`], []]) {
    r = await runCli(['consume', topic, '--exit-at-end', '--format', 'json', ...extra, ...common])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /reached the end of every partition/)
    const printed = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as JsonLine).value)
    assert.deepEqual([...new Set(printed)].sort(), [...values].sort(), extra.join(' '))
  }
  // The first group printed and committed everything above: it is at the end already.
  r = await runCli(['consume', topic, '--group', `${group}-end`, '--exit-at-end', ...common])
  assert.equal(r.code, 0, r.stderr)
  if (session.exactlyOnceAcrossRuns) assert.equal(r.stdout, '')

  // Reading a topic that does not exist neither creates it nor waits on it.
  const missing = `${topic}-missing`
  for (const argv of [
    ['consume', missing, '--exit-at-end'],
    ['topics', 'describe', missing],
  ]) {
    r = await runCli([...argv, ...common])
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, new RegExp(`error \\[CONDUIT_NOT_FOUND\\]: topic "${missing}" does not exist\n`))
    assert.match(r.stderr, new RegExp(`hint: create it with "conduit topics create ${missing}"`))
  }
  r = await runCli(['topics', 'list', ...common])
  assert.equal(r.code, 0, r.stderr)
  assert.ok(!r.stdout.includes(missing), 'the missing topic was not created')
  r = await runCli(['topics', 'create', topic, '--partitions', '2', '--if-not-exists', ...common])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /exists already/)

  r = await runCli(['groups', 'describe', group, ...common])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, new RegExp(`group "${group}"`))

  r = await runCli(['topics', 'describe', topic, ...common])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /: 2 partitions\n/)

  r = await runCli([
    'bench',
    '--messages',
    '2000',
    '--producers',
    '2',
    '--consumers',
    '2',
    '--json',
    ...common,
  ])
  assert.equal(r.code, 0, r.stderr)
  const bench = JSON.parse(r.stdout) as { endToEnd: { messages: number } }
  assert.equal(bench.endToEnd.messages, 2000)

  r = await runCli(['topics', 'delete', topic, ...common])
  assert.equal(r.code, 0, r.stderr)
}

// consume --exit-at-end on the embedded durable broker: stops at the end of every partition as it
// was at the start, acknowledging what it printed. Every run has a timeout: a run that waits for
// messages that never come fails instead of hanging.

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { runCli } from './run-cli.ts'

const root = await mkdtemp(path.join(tmpdir(), 'conduit-cli-end-'))
after(() => rm(root, { recursive: true, force: true }))
let n = 0
const T = { timeout: 30_000 }

async function topicWith(partitions: number, lines: string[]): Promise<{ url: string[]; topic: string }> {
  const url = ['--url', `file:${path.join(root, `b${++n}`)}`]
  const topic = 'events'
  assert.equal(
    (await runCli(['topics', 'create', topic, '--partitions', String(partitions), ...url])).code,
    0,
  )
  if (lines.length > 0) {
    const r = await runCli(['produce', topic, ...url], { stdin: lines.join('\n') + '\n' })
    assert.equal(r.code, 0, r.stderr)
  }
  return { url, topic }
}

const values = Array.from({ length: 30 }, (_, i) => `v${i}`)

void test('prints every message of every partition, then stops', T, async () => {
  const { url, topic } = await topicWith(3, values)
  const r = await runCli(['consume', topic, '--exit-at-end', ...url])
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(r.stdout.trimEnd().split('\n').sort(), [...values].sort())
  assert.equal(r.stderr, `consumed 30 messages from "${topic}"; reached the end of every partition\n`)
})

void test('an empty topic, or --from latest, ends at once with nothing printed', T, async () => {
  const empty = await topicWith(2, [])
  let r = await runCli(['consume', empty.topic, '--exit-at-end', ...empty.url])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, '')
  assert.match(r.stderr, /consumed 0 messages .*; reached the end of every partition/)
  const full = await topicWith(2, values)
  r = await runCli(['consume', full.topic, '--exit-at-end', '--from', 'latest', ...full.url])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, '')
})

void test('a group continues from its commit to the end, and a caught-up group ends at once', T, async () => {
  const { url, topic } = await topicWith(2, values)
  const group = ['--group', 'audit']
  let r = await runCli(['consume', topic, ...group, '--count', '8', ...url])
  assert.equal(r.code, 0, r.stderr)
  const first = r.stdout.trimEnd().split('\n')
  r = await runCli(['consume', topic, ...group, '--exit-at-end', ...url])
  assert.equal(r.code, 0, r.stderr)
  const rest = r.stdout.trimEnd().split('\n')
  assert.deepEqual([...first, ...rest].sort(), [...values].sort(), 'each message printed once')
  // What was printed was acknowledged and committed: nothing is left.
  r = await runCli(['groups', 'describe', 'audit', '--json', ...url])
  const lag = (JSON.parse(r.stdout) as { offsets: { lag: number }[] }).offsets.reduce((s, o) => s + o.lag, 0)
  assert.equal(lag, 0)
  r = await runCli(['consume', topic, ...group, '--exit-at-end', ...url])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, '')
})

void test('--from <offset> reads from there to the end', T, async () => {
  const { url, topic } = await topicWith(1, ['a', 'b', 'c', 'd'])
  let r = await runCli(['consume', topic, '--exit-at-end', '--from', '2', ...url])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, 'c\nd\n')
  r = await runCli(['consume', topic, '--exit-at-end', '--from', '4', ...url])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, '')
})

void test('--count still stops first; --from <time> without a group is a usage error', T, async () => {
  const { url, topic } = await topicWith(1, values)
  let r = await runCli(['consume', topic, '--exit-at-end', '--count', '3', ...url])
  assert.equal(r.stdout, 'v0\nv1\nv2\n')
  r = await runCli(['consume', topic, '--exit-at-end', '--from', '2026-01-01T00:00:00Z', ...url])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /--exit-at-end cannot tell where --from <time> starts/)
})

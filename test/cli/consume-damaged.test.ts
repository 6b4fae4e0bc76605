// `conduit consume` on a `file:` log with a damaged range: without --skip-damaged it prints up to
// the range and fails naming it; with --skip-damaged it goes past it. Either way, stderr warns.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { connect } from '../../src/index.ts'
import { runCli } from './run-cli.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-cli-damaged-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

/** Ten messages m0..m9 in one batch each; the batch of m4 gets a flipped byte. */
async function damagedDir(name: string): Promise<string> {
  const dir = path.join(root, name)
  const broker = await connect(`file:${dir}`)
  const producer = await broker.producer({ topic: 't' })
  for (let i = 0; i < 10; i++) await producer.send({ value: `m${i}` })
  await broker.close()
  const file = path.join(dir, 'topics', 't', '0', '00000000000000000000.log')
  const bytes = fs.readFileSync(file)
  bytes[(bytes.length / 10) * 4 + 30]! ^= 0x01
  fs.writeFileSync(file, bytes)
  return `file:${dir}`
}

void test('consume stops at a damaged range with an error naming it, after printing what lies before', async () => {
  const url = await damagedDir('stop')
  const r = await runCli(['consume', 't', '--url', url, '--timeout-ms', '500'])
  assert.equal(r.code, 1)
  assert.equal(r.stdout, 'm0\nm1\nm2\nm3\n')
  assert.match(
    r.stderr,
    /^warning: damaged data in t\/0 offset 4 \(.*00000000000000000000\.log, \d+ bytes\): CRC-32 mismatch$/m,
  )
  assert.match(r.stderr, /^error \[CONDUIT_CORRUPT_DATA\]: t\/0: offset 4 is damaged in /m)
  assert.match(r.stderr, /^hint: consume with skipDamaged: true \(CLI: conduit consume --skip-damaged\)/m)
  const described = await runCli(['topics', 'describe', 't', '--url', url])
  assert.match(
    described.stdout,
    /^damaged: partition 0 offsets 4 to 4 \(\d+ bytes of .*\.log\): CRC-32 mismatch$/m,
  )
})

void test('consume --skip-damaged goes past the range and warns about the skip', async () => {
  const url = await damagedDir('skip')
  const r = await runCli([
    'consume',
    't',
    '--url',
    url,
    '--group',
    'g',
    '--skip-damaged',
    '--timeout-ms',
    '300',
  ])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, 'm0\nm1\nm2\nm3\nm5\nm6\nm7\nm8\nm9\n')
  assert.match(r.stderr, /^warning: skipped damaged data in t\/0 offset 4 \(.*\.log\): /m)
  assert.match(r.stderr, /consumed 9 messages from "t" as group "g"/)
})

// The conformance suite checked from outside: it fails a driver that loses messages, and its
// reconnect scenario runs (and calls the hook) when a restart hook is given.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures')

function runSuite(file: string, extra: string[] = []) {
  // Not as a child of this test run: a nested runner would report to us instead of running.
  const env = { ...process.env }
  for (const name of Object.keys(env)) if (name.startsWith('NODE_TEST')) delete env[name]
  const result = spawnSync(
    process.execPath,
    ['--test', '--test-reporter=spec', ...extra, path.join(fixtures, file)],
    {
      encoding: 'utf8',
      timeout: 300_000,
      env,
    },
  )
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` }
}

void test('the suite fails a driver that silently drops messages, naming what is missing', () => {
  // A few delivery scenarios are enough to show it (each failing one waits out its deadline).
  const { status, output } = runSuite('lossy-suite.ts', [
    '--test-name-pattern=capabilities|1 producer\\(s\\) × 1 consumer',
  ])
  assert.notEqual(status, 0, `a lossy driver must not pass: ${output}`)
  assert.match(output, /not received within/)
  assert.match(output, /seed 1/, 'the seed is printed')
  // Scenarios that do not depend on the producer's delivery still pass: failures are specific.
  assert.match(output, /✔ capabilities are declared completely/)
  assert.match(output, /✖ 1 producer\(s\) × 1 consumer\(s\), with acks, complete batches/)
})

void test('with a restart hook the reconnect scenario runs and calls it', () => {
  const { status, output } = runSuite('restart-suite.ts', ['--test-name-pattern=reconnect'])
  assert.equal(status, 0, output)
  assert.match(output, /✔ reconnect after a broker restart loses nothing acknowledged/)
  assert.match(output, /RESTARTS 1/)
})

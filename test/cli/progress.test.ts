import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { ProgressBar } from '../../src/cli/progress.ts'
import { Collector } from './run-cli.ts'

void test('renders a bar with percentage and detail', () => {
  const line = ProgressBar.render({ done: 50, total: 100, detail: 'half' })
  assert.equal(line, `[${'='.repeat(15)}>${' '.repeat(14)}]  50% half`)
  assert.match(ProgressBar.render({ done: 100, total: 100, detail: '' }), /^\[={30}\] 100% $/)
})

void test('draws on a terminal and clears its line when stopped', async () => {
  const tty = new Collector(true)
  const bar = new ProgressBar(tty, () => ({ done: 1, total: 2, detail: 'x' }))
  await sleep(250)
  bar.stop()
  const text = tty.text()
  assert.match(text, /^\r\[=+>/)
  assert.ok(text.endsWith('\r\x1b[K'))
})

void test('draws nothing when the sink is not a terminal', async () => {
  const file = new Collector(false)
  const bar = new ProgressBar(file, () => ({ done: 1, total: 2, detail: 'x' }))
  await sleep(250)
  bar.stop()
  assert.equal(file.text(), '')
})

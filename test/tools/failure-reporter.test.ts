// The runner's failure reporter: which failures it records, and in what form.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import failureReporter, { failureFromEvent } from '../../tools/test/failure-reporter.ts'

void test('a failing test becomes one line naming its file, test and the cause of its error', () => {
  const cause = new Error('expected 40 messages, got 0\nsecond line')
  const wrapped = new Error('test failed', { cause })
  const line = failureFromEvent({
    type: 'test:fail',
    data: { name: 'reads everything', file: '/x/a.test.ts', details: { error: wrapped } },
  })
  assert.deepEqual(line, {
    file: '/x/a.test.ts',
    name: 'reads everything',
    error: 'expected 40 messages, got 0',
  })
})

void test('passing tests and failures without a file are not recorded', () => {
  assert.equal(failureFromEvent({ type: 'test:pass', data: { name: 'ok', file: '/x/a.test.ts' } }), undefined)
  assert.equal(failureFromEvent({ type: 'test:fail', data: { name: 'run' } }), undefined)
})

void test('the reporter yields JSON lines for failures only', async () => {
  async function* events() {
    yield { type: 'test:pass', data: { name: 'a', file: '/x/a.test.ts' } }
    yield { type: 'test:fail', data: { name: 'b', file: '/x/b.test.ts', details: { error: 'boom' } } }
  }
  const lines: string[] = []
  for await (const line of failureReporter(events())) lines.push(line)
  assert.deepEqual(
    lines.map((l) => JSON.parse(l) as unknown),
    [{ file: '/x/b.test.ts', name: 'b', error: 'boom' }],
  )
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  formatCount,
  formatDuration,
  formatMicros,
  formatRate,
  formatTable,
  plural,
} from '../../src/cli/output.ts'

void test('tables align text left and numbers right, and show missing cells as -', () => {
  const table = formatTable(
    ['topic', 'partition', 'lag'],
    [
      ['orders', 0, 12],
      ['a', 10, null],
    ],
  )
  assert.equal(
    table,
    ['topic   partition  lag', 'orders          0   12', 'a              10    -', ''].join('\n'),
  )
})

void test('numbers with units', () => {
  assert.equal(formatCount(1234567), '1,234,567')
  assert.equal(formatRate(2_345_678), '2.35M')
  assert.equal(formatRate(999), '999')
  assert.equal(formatRate(12_300), '12.3k')
  assert.equal(formatMicros(850), '850µs')
  assert.equal(formatMicros(12_500), '12.5ms')
  assert.equal(formatMicros(2_500_000), '2.50s')
  assert.equal(formatDuration(340), '340ms')
  assert.equal(formatDuration(2514), '2.51s')
  assert.equal(plural(1, 'message'), '1 message')
  assert.equal(plural(2000, 'message'), '2,000 messages')
})

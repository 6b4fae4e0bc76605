import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '../../src/core/errors.ts'
import { Histogram } from '../../src/core/histogram.ts'

void test('small values are exact', () => {
  const h = new Histogram()
  for (let v = 0; v < 100; v++) h.record(v)
  assert.equal(h.count, 100)
  assert.equal(h.percentile(50), 49)
  assert.equal(h.percentile(100), 99)
  assert.equal(h.percentile(0), 0)
  assert.equal(h.min, 0)
  assert.equal(h.max, 99)
  assert.equal(h.mean, 49.5)
})

void test('percentiles of a wide range are within the relative error bound and never below the truth', () => {
  const h = new Histogram({ significantBits: 11 })
  const values: number[] = []
  let x = 12345
  for (let i = 0; i < 100_000; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31
    const v = Math.floor(2 ** ((x / 2 ** 31) * 36))
    values.push(v)
    h.record(v)
  }
  values.sort((a, b) => a - b)
  for (const p of [50, 90, 99, 99.9, 99.99]) {
    const exact = values[Math.ceil((p / 100) * values.length) - 1]!
    const reported = h.percentile(p)
    assert.ok(reported >= exact, `p${p}: ${reported} < ${exact}`)
    assert.ok(reported <= exact * (1 + 2 ** -10) + 1, `p${p}: ${reported} too far above ${exact}`)
  }
  assert.equal(h.percentile(100), values[values.length - 1])
})

void test('bucket edges at powers of two are placed correctly', () => {
  for (const e of [11, 20, 31, 32, 33, 39]) {
    for (const v of [2 ** e - 1, 2 ** e, 2 ** e + 1]) {
      const h = new Histogram()
      h.record(v)
      h.record(0)
      const reported = h.percentile(100)
      assert.equal(reported, v, `max of ${v}`)
      const lone = new Histogram()
      lone.record(v)
      lone.record(v)
      assert.ok(lone.percentile(50) >= v && lone.percentile(50) <= v * (1 + 2 ** -10), `${v}`)
    }
  }
})

void test('counts, merge, saturation and reset', () => {
  const a = new Histogram({ highestValue: 4096 })
  a.record(10, 3)
  const b = new Histogram({ highestValue: 4096 })
  b.record(5000)
  assert.ok(b.saturated)
  assert.equal(b.max, 4096)
  a.merge(b)
  assert.equal(a.count, 4)
  assert.equal(a.min, 10)
  assert.equal(a.max, 4096)
  assert.ok(a.saturated)
  a.reset()
  assert.equal(a.count, 0)
  assert.equal(a.percentile(99), 0)
  assert.throws(() => a.merge(new Histogram()), ConfigError)
})

void test('bad values and options are ConfigErrors', () => {
  const h = new Histogram()
  for (const v of [-1, NaN, Infinity]) assert.throws(() => h.record(v), ConfigError)
  assert.throws(() => h.record(1, 0), ConfigError)
  assert.throws(() => h.percentile(101), ConfigError)
  assert.throws(() => new Histogram({ significantBits: 1 }), ConfigError)
  assert.throws(() => new Histogram({ significantBits: 11, highestValue: 100 }), ConfigError)
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Random, hashString, resolveSeed } from '../../src/testing/random.ts'

void test('one seed gives one sequence; different seeds differ', () => {
  const a = new Random(42)
  const b = new Random(42)
  const c = new Random(43)
  const draw = (r: Random) => Array.from({ length: 20 }, () => r.int(0, 1_000_000))
  const first = draw(a)
  assert.deepEqual(first, draw(b))
  assert.notDeepEqual(first, draw(c))
})

void test('int stays within its bounds and reaches both ends', () => {
  const r = new Random(7)
  const seen = new Set<number>()
  for (let i = 0; i < 2000; i++) {
    const n = r.int(3, 6)
    assert.ok(n >= 3 && n <= 6)
    seen.add(n)
  }
  assert.deepEqual([...seen].sort(), [3, 4, 5, 6])
})

void test('the seed comes from the option, else CONDUIT_SEED, which must be an integer', () => {
  const saved = process.env.CONDUIT_SEED
  try {
    process.env.CONDUIT_SEED = '1234'
    assert.equal(resolveSeed(99), 99)
    assert.equal(resolveSeed(undefined), 1234)
    process.env.CONDUIT_SEED = 'soon'
    assert.throws(() => resolveSeed(undefined), /CONDUIT_SEED must be a non-negative integer/)
    delete process.env.CONDUIT_SEED
    const s = resolveSeed(undefined)
    assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32)
  } finally {
    if (saved === undefined) delete process.env.CONDUIT_SEED
    else process.env.CONDUIT_SEED = saved
  }
  assert.notEqual(hashString('a'), hashString('b'))
})

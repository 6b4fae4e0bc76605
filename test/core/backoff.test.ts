import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Backoff, sleep } from '../../src/core/backoff.ts'
import { ConfigError } from '../../src/core/errors.ts'

void test('grows exponentially up to maxMs without jitter', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, multiplier: 2, jitter: 0 })
  assert.deepEqual(
    Array.from({ length: 7 }, () => b.next()),
    [100, 200, 400, 800, 1000, 1000, 1000],
  )
  assert.equal(b.attempts, 7)
  b.reset()
  assert.equal(b.attempts, 0)
  assert.equal(b.next(), 100)
})

void test('jitter draws from [base*(1-jitter), base]', () => {
  const low = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.5, random: () => 0.999999 })
  assert.equal(low.next(), 500)
  const high = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.5, random: () => 0 })
  assert.equal(high.next(), 1000)
  const real = new Backoff({ initialMs: 200, maxMs: 200, jitter: 1 })
  for (let i = 0; i < 100; i++) {
    const d = real.next()
    assert.ok(d >= 0 && d <= 200, String(d))
  }
})

void test('many attempts never overflow past maxMs', () => {
  const b = new Backoff({ initialMs: 1, maxMs: 5000, multiplier: 10, jitter: 0 })
  for (let i = 0; i < 5000; i++) b.next()
  assert.equal(b.next(), 5000)
})

void test('rejects nonsense options with ConfigError', () => {
  assert.throws(() => new Backoff({ initialMs: -1 }), ConfigError)
  assert.throws(() => new Backoff({ initialMs: 100, maxMs: 10 }), ConfigError)
  assert.throws(() => new Backoff({ multiplier: 0.5 }), ConfigError)
  assert.throws(() => new Backoff({ jitter: 2 }), ConfigError)
  assert.throws(() => new Backoff({ initialMs: Number.NaN }), ConfigError)
})

void test('sleep waits at least the given time', async () => {
  const start = performance.now()
  await sleep(30)
  assert.ok(performance.now() - start >= 25)
})

void test('sleep rejects with the abort reason as soon as the signal aborts', async () => {
  const ac = new AbortController()
  const start = performance.now()
  const p = sleep(10_000, ac.signal)
  setTimeout(() => ac.abort(new Error('closing')), 10)
  await assert.rejects(p, /closing/)
  assert.ok(performance.now() - start < 1000)
})

void test('sleep rejects at once on an already aborted signal', async () => {
  await assert.rejects(sleep(10, AbortSignal.abort()), { name: 'AbortError' })
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { CorrelationMap } from '../../src/core/correlation.ts'
import { ConnectionError, ProtocolError, TimeoutError } from '../../src/core/errors.ts'

void test('resolve settles the matching request only', async () => {
  const m = new CorrelationMap<number, string>()
  const a = m.register(1, { timeoutMs: 1000, what: 'a' })
  const b = m.register(2, { timeoutMs: 1000, what: 'b' })
  assert.equal(m.size, 2)
  assert.equal(m.resolve(2, 'two'), true)
  assert.equal(m.resolve(1, 'one'), true)
  assert.equal(await a, 'one')
  assert.equal(await b, 'two')
  assert.equal(m.size, 0)
  assert.equal(m.resolve(1, 'late'), false, 'a late response is reported, not delivered')
})

void test('a timeout rejects with TimeoutError naming what and how long, and frees the id', async () => {
  const m = new CorrelationMap<number, string>()
  const p = m.register(7, { timeoutMs: 20, what: 'Metadata v12 to 127.0.0.1:9092' })
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof TimeoutError)
    assert.match(err.message, /Metadata v12 to 127\.0\.0\.1:9092 timed out after 20 ms/)
    assert.equal(err.retriable, true)
    return true
  })
  assert.equal(m.has(7), false)
  assert.equal(m.resolve(7, 'late'), false)
})

void test('reject and rejectAll', async () => {
  const m = new CorrelationMap<string, number>()
  const a = m.register('a', { timeoutMs: 1000, what: 'a' })
  const b = m.register('b', { timeoutMs: Infinity, what: 'b' })
  const c = m.register('c', { timeoutMs: 0, what: 'c' })
  assert.equal(m.reject('a', new Error('nope')), true)
  await assert.rejects(a, /nope/)
  m.rejectAll(new ConnectionError('socket closed'))
  await assert.rejects(b, ConnectionError)
  await assert.rejects(c, ConnectionError)
  assert.equal(m.size, 0)
  assert.equal(m.reject('b', new Error('x')), false)
})

void test('registering an id that is still pending rejects with ProtocolError and keeps the first', async () => {
  const m = new CorrelationMap<number, string>()
  const first = m.register(1, { timeoutMs: 1000, what: 'first' })
  await assert.rejects(m.register(1, { timeoutMs: 1000, what: 'second' }), ProtocolError)
  m.resolve(1, 'ok')
  assert.equal(await first, 'ok')
})

void test('pending timers do not keep the process alive', () => {
  const script = `
    import { CorrelationMap } from ${JSON.stringify(fileURLToPath(new URL('../../src/core/correlation.ts', import.meta.url)))}
    const m = new CorrelationMap()
    m.register(1, { timeoutMs: 60000, what: 'x' }).catch(() => {})
  `
  const start = Date.now()
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 })
  assert.equal(r.status, 0, String(r.stderr))
  assert.ok(Date.now() - start < 15_000, 'exited without waiting for the timer')
})

void test('resolved requests leave no timer behind (no timeout fires later)', async () => {
  const m = new CorrelationMap<number, string>()
  const p = m.register(1, { timeoutMs: 30, what: 'x' })
  m.resolve(1, 'v')
  assert.equal(await p, 'v')
  // Register the same id again; a stale timer from the first registration must not reject it.
  const again = m.register(1, { timeoutMs: 1000, what: 'again' })
  await new Promise((r) => setTimeout(r, 60))
  assert.equal(m.has(1), true)
  m.resolve(1, 'second')
  assert.equal(await again, 'second')
})

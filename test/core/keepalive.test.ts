import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KeepAlive } from '../../src/core/keepalive.ts'
import { ConfigError, TimeoutError } from '../../src/core/errors.ts'

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

void test('an idle connection is pinged, and declared dead when the ping goes unanswered', async () => {
  let pings = 0
  const dead = new Promise<TimeoutError>((resolve) => {
    const ka = new KeepAlive({ intervalMs: 20, timeoutMs: 40, ping: () => void pings++, onDead: resolve })
    ka.start()
  })
  const err = await dead
  assert.ok(err instanceof TimeoutError)
  assert.match(err.message, /40 ms/)
  assert.equal(pings, 1, 'only one ping while waiting for its answer')
})

void test('an answered ping keeps the connection alive', async () => {
  let pings = 0
  let deaths = 0
  const ka: KeepAlive = new KeepAlive({
    intervalMs: 15,
    timeoutMs: 30,
    ping: () => {
      pings++
      setTimeout(() => ka.touch(), 5) // the pong
    },
    onDead: () => void deaths++,
  })
  ka.start()
  await wait(200)
  ka.stop()
  assert.equal(deaths, 0)
  assert.ok(pings >= 3, `pinged ${pings} times`)
})

void test('steady inbound traffic means no pings at all', async () => {
  let pings = 0
  const ka = new KeepAlive({
    intervalMs: 30,
    timeoutMs: 30,
    ping: () => void pings++,
    onDead: () => assert.fail('dead'),
  })
  ka.start()
  const traffic = setInterval(() => ka.touch(), 5)
  await wait(200)
  clearInterval(traffic)
  ka.stop()
  assert.equal(pings, 0)
})

void test('stop() cancels a pending death; start() is idempotent and restartable', async () => {
  let deaths = 0
  const ka = new KeepAlive({ intervalMs: 10, timeoutMs: 30, ping: () => {}, onDead: () => void deaths++ })
  ka.start()
  ka.start()
  await wait(20) // a ping is out
  ka.stop()
  assert.equal(ka.running, false)
  await wait(60)
  assert.equal(deaths, 0)
  ka.start()
  await wait(80)
  assert.equal(deaths, 1)
  assert.equal(ka.running, false)
})

void test('a ping that throws (socket gone) is reported as dead with the cause', async () => {
  const cause = new Error('write after end')
  const err = await new Promise<TimeoutError>((resolve) => {
    new KeepAlive({
      intervalMs: 10,
      timeoutMs: 1000,
      ping: () => {
        throw cause
      },
      onDead: resolve,
    }).start()
  })
  assert.equal(err.cause, cause)
})

void test('rejects nonsense intervals', () => {
  assert.throws(
    () => new KeepAlive({ intervalMs: 0, timeoutMs: 1, ping: () => {}, onDead: () => {} }),
    ConfigError,
  )
  assert.throws(
    () => new KeepAlive({ intervalMs: 1, timeoutMs: NaN, ping: () => {}, onDead: () => {} }),
    ConfigError,
  )
})

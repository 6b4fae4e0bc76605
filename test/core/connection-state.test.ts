import { test } from 'node:test'
import assert from 'node:assert/strict'
import dc from 'node:diagnostics_channel'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { StateMachine, type StateChange } from '../../src/core/connection-state.ts'
import { ClosedError, ConduitError, ConnectionError } from '../../src/core/errors.ts'
import type { ConnectionStateEvent } from '../../src/core/diagnostics.ts'

void test('the normal life cycle, with reconnects, is legal', () => {
  const sm = new StateMachine()
  assert.equal(sm.state, 'disconnected')
  for (const s of [
    'connecting',
    'handshaking',
    'ready',
    'disconnected',
    'connecting',
    'ready',
    'closing',
    'closed',
  ] as const) {
    sm.transition(s)
    assert.equal(sm.state, s)
  }
  assert.ok(sm.is('closed', 'closing'))
})

void test('illegal transitions throw CONDUIT_ILLEGAL_STATE naming the connection and leave the state alone', () => {
  const sm = new StateMachine({ driver: 'pulsar', connection: '127.0.0.1:6650' })
  for (const to of ['handshaking', 'ready', 'disconnected'] as const) {
    assert.equal(sm.canTransition(to), false)
    assert.throws(
      () => sm.transition(to),
      (err: unknown) =>
        err instanceof ConduitError &&
        err.code === 'CONDUIT_ILLEGAL_STATE' &&
        /pulsar connection 127\.0\.0\.1:6650: illegal state change disconnected → /.test(err.message),
    )
  }
  assert.equal(sm.state, 'disconnected')
  sm.transition('closed')
  for (const to of ['disconnected', 'connecting', 'handshaking', 'ready', 'closing', 'closed'] as const) {
    assert.throws(() => sm.transition(to), ConduitError, `closed is final (${to})`)
  }
  const closing = new StateMachine({ initial: 'closing' })
  assert.throws(() => closing.transition('ready'), ConduitError)
})

void test('listeners see every change with its cause; unsubscribe works', () => {
  const sm = new StateMachine()
  const seen: StateChange[] = []
  const off = sm.onChange((c) => seen.push(c))
  const cause = new ConnectionError('reset')
  sm.transition('connecting')
  sm.transition('disconnected', cause)
  off()
  sm.transition('connecting')
  assert.deepEqual(
    seen.map((c) => [c.from, c.to]),
    [
      ['disconnected', 'connecting'],
      ['connecting', 'disconnected'],
    ],
  )
  assert.equal(seen[1]!.error, cause)
  assert.equal(typeof seen[0]!.at, 'number')
})

void test('a throwing listener neither stops the others nor is swallowed', () => {
  // Run in a child: the error is rethrown outside the transition as an uncaught exception.
  const script = `
    import { StateMachine } from ${JSON.stringify(fileURLToPath(new URL('../../src/core/connection-state.ts', import.meta.url)))}
    process.on('uncaughtException', (err) => console.log('uncaught:' + err.message))
    const sm = new StateMachine()
    sm.onChange(() => { throw new Error('listener bug') })
    sm.onChange((c) => console.log('second:' + c.to))
    sm.transition('connecting')
    console.log('state:' + sm.state)
  `
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
  })
  assert.deepEqual(r.stdout.trim().split('\n'), [
    'second:connecting',
    'state:connecting',
    'uncaught:listener bug',
  ])
})

void test('changes() is an async iterable that ends after closed', async () => {
  const sm = new StateMachine()
  const collected = (async () => {
    const out: string[] = []
    for await (const c of sm.changes()) out.push(c.to)
    return out
  })()
  sm.transition('connecting')
  sm.transition('ready')
  await new Promise((r) => setImmediate(r))
  sm.transition('closing')
  sm.transition('closed')
  assert.deepEqual(await collected, ['connecting', 'ready', 'closing', 'closed'])
})

void test('breaking out of changes() unsubscribes; an iterator on a closed machine ends at once', async () => {
  const sm = new StateMachine()
  const it = sm.changes()
  sm.transition('connecting')
  const first = await it.next()
  assert.equal(first.done, false)
  assert.equal(first.done === false && first.value.to, 'connecting')
  const pending = it.next()
  await it.return!()
  assert.equal((await pending).done, true, 'a waiting next() ends when the reader stops')
  sm.transition('ready')
  assert.equal((await it.next()).done, true)

  sm.transition('closed')
  const late = sm.changes()
  assert.equal((await late.next()).done, true)
})

void test('a slow reader keeps only the newest 256 changes', async () => {
  const sm = new StateMachine()
  const it = sm.changes()
  for (let i = 0; i < 200; i++) {
    sm.transition('connecting')
    sm.transition('disconnected')
  }
  let count = 0
  sm.transition('closed')
  for await (const c of it) {
    count++
    // 401 changes happened; the 145 oldest were dropped, so the first one left is #145 (odd).
    if (count === 1) assert.deepEqual([c.from, c.to], ['connecting', 'disconnected'])
    if (count === 256) assert.equal(c.to, 'closed')
  }
  assert.equal(count, 256)
})

void test('waitFor resolves on the wanted state, rejects on close or abort', async () => {
  const sm = new StateMachine({ driver: 'kafka', connection: 'b1' })
  await sm.waitFor('disconnected')
  const ready = sm.waitFor(['ready'])
  sm.transition('connecting')
  sm.transition('ready')
  await ready

  const never = sm.waitFor('handshaking')
  const cause = new ConnectionError('gone')
  sm.transition('closed', cause)
  await assert.rejects(never, (err: unknown) => err === cause)
  await assert.rejects(sm.waitFor('ready'), ClosedError)

  const other = new StateMachine()
  const ac = new AbortController()
  const aborted = other.waitFor('ready', ac.signal)
  ac.abort(new Error('stop waiting'))
  await assert.rejects(aborted, /stop waiting/)
})

void test('every transition is published on conduit:connection:state', () => {
  const events: ConnectionStateEvent[] = []
  const onMessage = (m: unknown): void => void events.push(m as ConnectionStateEvent)
  dc.subscribe('conduit:connection:state', onMessage)
  try {
    const sm = new StateMachine({ driver: 'rocketmq', connection: '127.0.0.1:10911' })
    sm.transition('connecting')
    sm.transition('ready')
  } finally {
    dc.unsubscribe('conduit:connection:state', onMessage)
  }
  assert.deepEqual(
    events.map((e) => [e.driver, e.connection, e.from, e.to]),
    [
      ['rocketmq', '127.0.0.1:10911', 'disconnected', 'connecting'],
      ['rocketmq', '127.0.0.1:10911', 'connecting', 'ready'],
    ],
  )
})

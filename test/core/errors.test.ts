import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  BrokerError,
  ConduitError,
  ConnectionError,
  ProtocolError,
  TimeoutError,
} from '../../src/core/errors.ts'

void test('errors carry stable codes, retriable flags and names', () => {
  const e = new TimeoutError('request timed out')
  assert.equal(e.code, 'CONDUIT_TIMEOUT')
  assert.equal(e.retriable, true)
  assert.equal(e.name, 'TimeoutError')
  assert.ok(e instanceof ConduitError)
  assert.ok(e instanceof Error)
  assert.ok(!(e instanceof ProtocolError))
})

void test('broker errors keep the broker code and name', () => {
  const e = new BrokerError(6, 'NOT_LEADER_OR_FOLLOWER', 'not leader', { retriable: true })
  assert.equal(e.brokerCode, 6)
  assert.equal(e.brokerErrorName, 'NOT_LEADER_OR_FOLLOWER')
  assert.equal(e.retriable, true)
})

void test('instanceof works for an error made by another copy of the library', () => {
  // A second copy has its own classes; it marks its errors with the same registry-wide brand.
  const brand = Symbol.for('conduit.error.kinds')
  const foreign = Object.assign(new Error('x'), { code: 'CONDUIT_CONNECTION' })
  Object.defineProperty(foreign, brand, { value: ['ConnectionError', 'ConduitError'] })
  assert.ok(foreign instanceof ConnectionError)
  assert.ok(foreign instanceof ConduitError)
  assert.ok(!(foreign instanceof TimeoutError))
  assert.ok(!({} instanceof ConduitError))
})

void test('cause is kept', () => {
  const cause = new Error('socket hang up')
  const e = new ConnectionError('broker 1 unreachable', { cause })
  assert.equal(e.cause, cause)
})

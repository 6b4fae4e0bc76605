// Handshake answers become typed errors; the token goes in the Authorization header; a dropped
// socket comes back with backoff; a non-retriable refusal during reconnect stops the loop.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, test } from 'node:test'
import { AuthenticationError, BrokerError, ConfigError, ConnectionError } from '../../src/core/errors.ts'
import {
  ReconnectingSocket,
  handshakeError,
  handshakeReason,
  openWebSocket,
} from '../../src/pulsar-ws/socket.ts'
import { startFakeServer } from './fake-server.ts'
import type { FakeServer } from './fake-server.ts'

let server: FakeServer
beforeEach(async () => {
  server = await startFakeServer()
})
afterEach(async () => {
  await server.close()
})

void test('refused handshakes map to typed errors with the server’s reason', async () => {
  const cases: [number, (e: unknown) => boolean][] = [
    [401, (e) => e instanceof AuthenticationError],
    [403, (e) => e instanceof AuthenticationError],
    [400, (e) => e instanceof ConfigError],
    [404, (e) => e instanceof BrokerError && !e.retriable && e.brokerCode === 404],
    [409, (e) => e instanceof BrokerError && e.retriable],
    [500, (e) => e instanceof BrokerError && e.retriable],
  ]
  for (const [status, check] of cases) {
    server.refuse(
      status,
      `<html><head><title>Error ${status} Failed to create producer: boom &amp; bust</title></head></html>`,
    )
    const error = await openWebSocket(`${server.url}/ws/v2/producer/persistent/t/n/x`).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    )
    assert.ok(check(error), `${status}: ${String(error)}`)
    assert.match((error as Error).message, /Failed to create producer: boom & bust/)
  }
})

void test('handshakeReason reads Jetty error pages and plain text; tokens never reach messages', async () => {
  assert.equal(handshakeReason('<title>Error 400 Invalid query params: x</title>'), 'Invalid query params: x')
  assert.equal(handshakeReason('plain <b>text</b>'), 'plain text')
  assert.ok(handshakeError(418, '', 'w') instanceof BrokerError)
  server.refuse(401)
  const error = await openWebSocket(`${server.url}/ws/v2/producer/persistent/t/n/x?token=secret`).catch(
    (e: Error) => e,
  )
  assert.ok(error instanceof AuthenticationError)
  assert.doesNotMatch(error.message, /secret/)
})

void test('a refused TCP connection is a retriable ConnectionError', async () => {
  const url = server.url
  await server.close()
  const error = await openWebSocket(`${url}/x`).catch((e: unknown) => e)
  assert.ok(error instanceof ConnectionError && error.retriable)
  server = await startFakeServer()
})

void test('the token is sent as a Bearer header, asked again on every connect', async () => {
  let calls = 0
  const ws = await openWebSocket(`${server.url}/x`, { token: () => `tok-${++calls}` })
  assert.equal(server.sessions[0]!.headers.authorization, 'Bearer tok-1')
  ws.close()
  const ws2 = await openWebSocket(`${server.url}/x`, { token: 'fixed' })
  assert.equal(server.sessions[1]!.headers.authorization, 'Bearer fixed')
  ws2.close()
})

void test('a dropped socket reopens with backoff and the owner hears down and open', async () => {
  const events: string[] = []
  const socket = new ReconnectingSocket(
    () => `${server.url}/x`,
    { reconnectBackoff: { initialMs: 10, maxMs: 20 }, keepAliveMs: 0 },
    {
      onMessage: (t) => events.push(`message ${t}`),
      onOpen: (again) => events.push(again ? 'reopen' : 'open'),
      onDown: () => events.push('down'),
      onFailed: (e) => events.push(`failed ${e.name}`),
    },
    'test',
  )
  await socket.start()
  const first = server.sessions[0]!
  first.send('hello')
  await new Promise((r) => setTimeout(r, 30))
  // refused twice (retriable), then accepted
  server.refuse(503)
  first.socket.terminate()
  await new Promise((r) => setTimeout(r, 100))
  server.refuse(null)
  await server.nextSession()
  await new Promise((r) => setTimeout(r, 30))
  assert.deepEqual(events, ['open', 'message hello', 'down', 'reopen'])
  assert.ok(socket.isOpen)
  // a non-retriable refusal ends it for good
  server.refuse(401)
  server.sessions[1]!.socket.terminate()
  await new Promise((r) => setTimeout(r, 150))
  assert.deepEqual(events.slice(4), ['down', 'failed AuthenticationError'])
  assert.equal(socket.state.state, 'closed')
})

void test('keep-alive: a peer that stops answering pings is dropped and reconnected', async () => {
  let downs = 0
  const socket = new ReconnectingSocket(
    () => `${server.url}/x`,
    { reconnectBackoff: { initialMs: 10, maxMs: 20 }, keepAliveMs: 50 },
    { onMessage: () => {}, onOpen: () => {}, onDown: () => downs++, onFailed: () => {} },
    'test',
  )
  await socket.start()
  // The fake server's ws answers pings automatically; pausing its socket stops the pongs.
  server.sessions[0]!.socket.pause()
  await server.nextSession()
  assert.equal(downs, 1)
  await socket.close()
  assert.equal(socket.state.state, 'closed')
})

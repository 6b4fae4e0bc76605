// The connection against a small fake remoting server (a real broker cannot be made to reorder
// responses, drop them or send garbage on demand): opaque correlation, timeouts, oneway, a dead
// socket failing in-flight requests, broker → client requests, reconnect, ACL signing.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import type net from 'node:net'
import tls from 'node:tls'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateTls } from '../../tools/brokers/tls.ts'
import { createHmac } from 'node:crypto'
import { ConnectionError, TimeoutError } from '../../src/core/errors.ts'
import { FrameDecoder } from '../../src/core/frame-decoder.ts'
import { RemotingConnection, signRequest } from '../../src/rocketmq/connection.ts'
import { fakeServer } from './fake-server.ts'
import {
  CommandFlag,
  createRequest,
  createResponse,
  decodeCommand,
  encodeCommandBytes,
  isOneway,
  type RemotingCommand,
} from '../../src/rocketmq/protocol/remoting-command.ts'

void test('responses are matched by opaque, in any order', async () => {
  const held: [RemotingCommand, (c: RemotingCommand) => void][] = []
  const server = await fakeServer((cmd, write) => {
    held.push([cmd, write])
    if (held.length === 3)
      for (const [c, w] of held.reverse()) w(createResponse(c, 0, `answer ${c.extFields.n}`))
  })
  const conn = new RemotingConnection({ address: `127.0.0.1:${server.port}` })
  try {
    const answers = await Promise.all([1, 2, 3].map((n) => conn.request(createRequest(10, { n }))))
    assert.deepEqual(
      answers.map((a) => a.remark),
      ['answer 1', 'answer 2', 'answer 3'],
    )
  } finally {
    await conn.close()
    await server.close()
  }
})

void test('a request without answer times out alone; a dead socket fails the rest and reconnects', async () => {
  let first = true
  const server = await fakeServer((cmd, write, socket) => {
    if (cmd.extFields.mode === 'silent') return
    if (cmd.extFields.mode === 'die') {
      if (first) {
        first = false
        socket.destroy()
      }
      return
    }
    write(createResponse(cmd, 0, 'ok'))
  })
  const conn = new RemotingConnection({ address: `127.0.0.1:${server.port}` })
  try {
    await assert.rejects(conn.request(createRequest(10, { mode: 'silent' }), 100), TimeoutError)
    assert.equal((await conn.request(createRequest(10, { mode: 'fine' }))).remark, 'ok')
    await assert.rejects(conn.request(createRequest(10, { mode: 'die' }), 2000), ConnectionError)
    assert.equal((await conn.request(createRequest(10, { mode: 'fine' }))).remark, 'ok', 'reconnected')
    assert.equal(server.sockets.length, 2)
  } finally {
    await conn.close()
    await server.close()
  }
})

void test('oneway sets the flag and expects nothing; broker requests are answered through onRequest', async () => {
  const server = await fakeServer((cmd, write) => {
    // After the client's oneway, the broker asks the client something (GET_CONSUMER_RUNNING_INFO).
    if (isOneway(cmd)) write({ ...createRequest(307, { consumerGroup: 'g' }), opaque: 77 })
  })
  const conn = new RemotingConnection({
    address: `127.0.0.1:${server.port}`,
    onRequest: (req) => createResponse(req, 0, `running info for ${req.extFields.consumerGroup}`),
  })
  try {
    await conn.oneway(createRequest(15, { commitOffset: 5 }))
    const deadline = Date.now() + 5000
    let response: RemotingCommand | undefined
    while (!response && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10))
      response = server.received.find((c) => (c.flag & CommandFlag.RESPONSE) !== 0)
    }
    assert.ok(isOneway(server.received[0]!), 'the first command carried the oneway flag')
    assert.ok(response, 'the client answered the broker request')
    assert.equal(response.opaque, 77)
    assert.equal(response.remark, 'running info for g')
  } finally {
    await conn.close()
    await server.close()
  }
})

void test('ACL signature: AccessKey added, values sorted by key then body, HMAC-SHA1 base64', () => {
  const cmd = createRequest(10, { topic: 't', b: 'bee', a: 'ay' }, new TextEncoder().encode('BODY'))
  signRequest(cmd, { accessKey: 'AK', secretKey: 'SK' })
  assert.equal(cmd.extFields.AccessKey, 'AK')
  // Sorted keys: AccessKey, a, b, topic → "AK" + "ay" + "bee" + "t", then the body.
  const expected = createHmac('sha1', 'SK').update('AKaybeetBODY').digest('base64')
  assert.equal(cmd.extFields.Signature, expected)
  // Re-signing (a retried request) replaces the signature instead of signing it.
  signRequest(cmd, { accessKey: 'AK', secretKey: 'SK' })
  assert.equal(cmd.extFields.Signature, expected)
})

void test('TLS: requests travel over a verified TLS connection', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-rmq-tls-'))
  const material = generateTls(dir)
  const server = tls.createServer({ cert: material.serverCertPem, key: material.serverKeyPem }, (socket) => {
    const decoder = new FrameDecoder(1 << 20)
    socket.on('data', (chunk: Buffer) =>
      decoder.push(chunk, (frame) => {
        const cmd = decodeCommand(frame)
        socket.write(encodeCommandBytes(createResponse(cmd, 0, `tls ${cmd.extFields.x}`)))
      }),
    )
    socket.on('error', () => {})
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  const trusted = new RemotingConnection({ address: `localhost:${port}`, tls: { ca: material.caPem } })
  const untrusted = new RemotingConnection({ address: `localhost:${port}`, tls: true })
  try {
    assert.equal((await trusted.request(createRequest(10, { x: 1 }))).remark, 'tls 1')
    await assert.rejects(
      untrusted.request(createRequest(10, { x: 2 })),
      ConnectionError,
      'an unknown CA is refused',
    )
  } finally {
    await trusted.close()
    await untrusted.close()
    await new Promise((r) => server.close(r))
    rmSync(dir, { recursive: true, force: true })
  }
})

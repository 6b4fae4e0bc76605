// The incoming frame bound is a client option (maxFrameBytes) and reaches both the name-server
// and the broker connections: a frame over it fails with a ProtocolError before it is buffered.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConduitError, ConfigError, ProtocolError } from '../../src/core/errors.ts'
import { RocketMQClient } from '../../src/rocketmq/client.ts'
import { clientOptions } from '../../src/rocketmq/index.ts'
import { createRequest, createResponse } from '../../src/rocketmq/protocol/remoting-command.ts'
import { fakeServer } from './fake-server.ts'

const isFrameTooLarge = (err: unknown): boolean => {
  let e: unknown = err
  while (e instanceof Error) {
    if (e instanceof ProtocolError && /exceeds the limit of 1024 bytes/.test(e.message)) return true
    e = e.cause
  }
  return false
}

void test('maxFrameBytes bounds frames from brokers and name servers', async () => {
  const server = await fakeServer((cmd, write) => {
    const response = createResponse(cmd, 0, 'big')
    response.body = new Uint8Array(4096)
    write(response)
  })
  const address = `127.0.0.1:${server.port}`
  const limited = new RocketMQClient(clientOptions(`rocketmq://${address}`, { maxFrameBytes: 1024 }))
  const roomy = new RocketMQClient(clientOptions(`rocketmq://${address}`, {}))
  try {
    const broker = await limited
      .getOrNewBroker(address)
      .request(createRequest(10, {}))
      .catch((e: unknown) => e)
    assert.ok(broker instanceof ConduitError && isFrameTooLarge(broker), String(broker))
    const names = await limited.nameServers
      .request(() => createRequest(10, {}), 'test request', 2000)
      .catch((e: unknown) => e)
    assert.ok(names instanceof ConduitError && isFrameTooLarge(names), String(names))
    const ok = await roomy.getOrNewBroker(address).request(createRequest(10, {}))
    assert.equal(ok.body?.length, 4096)
  } finally {
    await limited.close()
    await roomy.close()
    await server.close()
  }
})

void test('maxFrameBytes must be a positive integer', () => {
  assert.throws(() => clientOptions('rocketmq://127.0.0.1:9876', { maxFrameBytes: 0 }), ConfigError)
  assert.throws(() => clientOptions('rocketmq://127.0.0.1:9876', { maxFrameBytes: 1.5 }), ConfigError)
})

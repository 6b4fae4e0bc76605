// maxFrameBytes is a Pulsar client option: a frame announced above it closes the connection (a
// ProtocolError, as the cause of the connection's end) before the client buffers it (a fake broker: a real one never sends such frames).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ProtocolError } from '../../src/core/errors.ts'
import { createClient } from '../../src/pulsar/index.ts'
import { CommandType } from '../../src/pulsar/protocol/commands.ts'
import { connected, fakeBroker } from './fake-broker.ts'

const frameHeader = (length: number): Uint8Array => {
  const header = Buffer.alloc(8)
  header.writeUInt32BE(length, 0)
  header.writeUInt32BE(length - 4, 4)
  return header
}

for (const [limit, expectClose] of [
  [1024, true],
  [undefined, false],
] as const) {
  void test(`a 2000-byte frame with maxFrameBytes ${String(limit)}: ${expectClose ? 'ProtocolError' : 'accepted'}`, async () => {
    const fake = await fakeBroker((cmd, f) => {
      if (cmd.type === CommandType.CONNECT) f.send(connected())
    })
    const client = await createClient(
      `pulsar://127.0.0.1:${fake.port}`,
      limit ? { maxFrameBytes: limit } : {},
    )
    try {
      const connection = await client.serviceConnection()
      const closed = new Promise<Error | undefined>((resolve) => connection.onClose(resolve))
      fake.raw(frameHeader(2000))
      const outcome = await Promise.race([
        closed,
        new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 300)),
      ])
      if (expectClose) {
        // The connection reports its end as a ConnectionError; the frame bound is its cause.
        assert.ok(outcome instanceof Error, String(outcome))
        assert.ok(outcome.cause instanceof ProtocolError || outcome instanceof ProtocolError, String(outcome))
        assert.match(outcome.message, /frame of 2000 bytes exceeds the limit of 1024 bytes/)
      } else {
        assert.equal(outcome, 'open')
      }
    } finally {
      await client.close()
    }
  })
}

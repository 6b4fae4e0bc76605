// Broker ports: drawn from below the kernel's ephemeral range, free (with their neighbours) when
// handed out, never handed out twice; a start that lost a port to another process is recognised.
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { lostAPort } from '../../tools/brokers/instance.ts'
import { freePort, listenRange } from '../../tools/brokers/ports.ts'

void test('ports come from below the ephemeral range, with free neighbours, each handed out once', async () => {
  const [low, high] = listenRange()
  assert.ok(low >= 1024 && low < high, `range ${low}-${high}`)
  const seen = new Set<number>()
  for (let i = 0; i < 20; i++) {
    const port = await freePort([-2, 1])
    assert.ok(port >= low && port <= high, `${port} in ${low}-${high}`)
    for (const p of [port - 2, port, port + 1]) {
      assert.ok(!seen.has(p), `port ${p} handed out twice`)
      seen.add(p)
    }
    // Free means bindable right now.
    await new Promise<void>((resolve, reject) => {
      const server = createServer()
      server.once('error', reject)
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve()))
    })
  }
})

void test('a failed start caused by a taken port is told apart from other failures', () => {
  assert.equal(
    lostAPort(new Error('broker exited; log:\njava.net.BindException: Address already in use')),
    true,
  )
  assert.equal(lostAPort(new Error('listen EADDRINUSE: address already in use 127.0.0.1:9092')), true)
  assert.equal(lostAPort(new Error('broker exited; log:\nOutOfMemoryError')), false)
})

// The fault proxy against a tiny echo server: every fault does what it says, and without faults
// bytes pass unchanged and in order.
import assert from 'node:assert/strict'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { after, before, test } from 'node:test'
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts'

let echo: Server
let echoPort: number
let proxy: FaultProxy
/** Bytes the echo server received on its most recent connection. */
let echoReceived = 0

before(async () => {
  echo = createServer((socket) => {
    socket.on('error', () => {})
    echoReceived = 0
    socket.on('data', (chunk: Buffer) => (echoReceived += chunk.length))
    socket.pipe(socket)
  })
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
  echoPort = (echo.address() as { port: number }).port
  proxy = await startFaultProxy({ targetHost: '127.0.0.1', targetPort: echoPort })
})

after(async () => {
  await proxy.close()
  await new Promise((resolve) => echo.close(resolve))
})

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: proxy.host, port: proxy.port })
    socket.once('connect', () => resolve(socket))
    socket.once('error', reject)
  })
}

/** Collects what the socket receives until `bytes` arrived, it closed, or `ms` passed. */
function receive(
  socket: Socket,
  bytes: number,
  ms = 2000,
): Promise<{ data: Buffer; closed: boolean; error?: Error }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const finish = (closed: boolean, error?: Error): void => {
      clearTimeout(timer)
      socket.removeAllListeners('data')
      resolve({ data: Buffer.concat(chunks), closed, ...(error ? { error } : {}) })
    }
    const timer = setTimeout(() => finish(false), ms)
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
      if (size >= bytes) finish(false)
    })
    socket.once('error', (error) => finish(true, error))
    socket.once('close', () => finish(true))
  })
}

void test('forwards bytes unchanged and in order in both directions', async () => {
  const socket = await open()
  const payload = Buffer.alloc(256 * 1024)
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff
  const got = receive(socket, payload.length, 5000)
  socket.write(payload)
  assert.deepEqual((await got).data, payload)
  socket.destroy()
})

void test('cutAll closes open connections; new connections work afterwards', async () => {
  const socket = await open()
  const closed = receive(socket, Infinity)
  await waitFor(() => proxy.connections() === 1)
  proxy.cutAll()
  const result = await closed
  assert.equal(result.closed, true)
  assert.equal(proxy.connections(), 0)
  const again = await open()
  const got = receive(again, 5)
  again.write('hello')
  assert.equal((await got).data.toString(), 'hello')
  again.destroy()
})

void test('refuseNew closes new connections until turned off', async () => {
  proxy.refuseNew(true)
  try {
    // The close may arrive before or after the client saw its connect complete.
    const outcome = await new Promise<{ data: number; closed: boolean }>((resolve) => {
      const socket = connect({ host: proxy.host, port: proxy.port })
      let data = 0
      socket.on('data', (chunk: Buffer) => (data += chunk.length))
      socket.once('error', () => {})
      socket.once('close', () => resolve({ data, closed: true }))
      setTimeout(() => resolve({ data, closed: false }), 2000)
    })
    assert.deepEqual(outcome, { data: 0, closed: true })
  } finally {
    proxy.refuseNew(false)
  }
  const ok = await open()
  const got = receive(ok, 2)
  ok.write('ok')
  assert.equal((await got).data.toString(), 'ok')
  ok.destroy()
})

void test('latency delays each direction by the configured time', async () => {
  const socket = await open()
  proxy.latency(150)
  try {
    const started = Date.now()
    const got = receive(socket, 4)
    socket.write('ping')
    assert.equal((await got).data.toString(), 'ping')
    // up and down: at least two delays.
    assert.ok(Date.now() - started >= 290, `round trip took ${Date.now() - started} ms`)
  } finally {
    proxy.latency(0)
    socket.destroy()
  }
})

void test('throttle caps the bandwidth', async () => {
  const socket = await open()
  proxy.throttle(20_000)
  try {
    const started = Date.now()
    const got = receive(socket, 20_000, 5000)
    socket.write(Buffer.alloc(20_000, 1))
    assert.equal((await got).data.length, 20_000)
    // 20 kB at 20 kB/s: about a second (the two directions overlap).
    assert.ok(Date.now() - started >= 900, `took only ${Date.now() - started} ms`)
  } finally {
    proxy.throttle(null)
    socket.destroy()
  }
})

void test('blackhole keeps the connection open and lets nothing through', async () => {
  const socket = await open()
  proxy.blackhole(true)
  try {
    const result = await receive(socket, 1, 500)
    socket.write('lost')
    const after = await receive(socket, 1, 500)
    assert.equal(result.data.length + after.data.length, 0)
    assert.equal(after.closed, false)
  } finally {
    proxy.blackhole(false)
  }
  const got = receive(socket, 5)
  socket.write('again')
  assert.equal((await got).data.toString(), 'again')
  socket.destroy()
})

void test('corruptNext flips one byte of the next chunk in the given direction only', async () => {
  for (const direction of ['up', 'down'] as const) {
    const socket = await open()
    const payload = Buffer.from('0123456789')
    proxy.corruptNext(direction)
    const got = receive(socket, payload.length)
    socket.write(payload)
    const data = (await got).data
    assert.equal(data.length, payload.length)
    const differing = [...data].filter((byte, i) => byte !== payload[i]).length
    assert.equal(differing, 1, `${direction}: ${data.toString('hex')}`)
    // The next chunk is clean again.
    const clean = receive(socket, payload.length)
    socket.write(payload)
    assert.deepEqual((await clean).data, payload)
    socket.destroy()
  }
})

void test("corruptNext(direction, 'first') flips the chunk's first byte", async () => {
  const socket = await open()
  const payload = Buffer.from('0123456789')
  proxy.corruptNext('up', 'first')
  const got = receive(socket, payload.length)
  socket.write(payload)
  const data = (await got).data
  assert.equal(data[0], payload[0]! ^ 0xff)
  assert.deepEqual(data.subarray(1), payload.subarray(1))
  socket.destroy()
})

void test('truncateNext forwards half of the next chunk, then closes the connection', async () => {
  for (const direction of ['up', 'down'] as const) {
    const socket = await open()
    proxy.truncateNext(direction)
    const got = receive(socket, 100)
    socket.write(Buffer.alloc(100, 7))
    const result = await got
    assert.equal(result.closed, true, direction)
    if (direction === 'down') {
      assert.equal(result.data.length, 50)
    } else {
      // The broker side got half; the connection was closed before it could answer in full.
      await waitFor(() => echoReceived === 50)
      assert.ok(result.data.length <= 50)
    }
    socket.destroy()
  }
})

void test('rejects nonsense settings with a RangeError', () => {
  assert.throws(() => proxy.latency(-1), RangeError)
  assert.throws(() => proxy.throttle(0), RangeError)
})

async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

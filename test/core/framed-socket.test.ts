import { test, after, afterEach, before } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import tls from 'node:tls'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { FramedSocket, frameWithLength } from '../../src/core/framed-socket.ts'
import { ConfigError, ConnectionError, ProtocolError, TimeoutError } from '../../src/core/errors.ts'

const MAX = 1024 * 1024

// Everything a test opens is closed after it, also when an assertion failed half-way: a server
// or socket left open would keep the test process alive and hang the run instead of failing it.
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** FramedSocket.connect, closed after the test. */
async function connect(opts: Parameters<typeof FramedSocket.connect>[0]): Promise<FramedSocket> {
  const fs = await FramedSocket.connect(opts)
  cleanups.push(() => fs.destroy())
  return fs
}

/** A real server on 127.0.0.1:0 whose per-connection behaviour the test decides. */
async function serve(
  onConnection: (s: net.Socket) => void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    onConnection(s)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as net.AddressInfo).port
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const s of sockets) s.destroy()
      server.close()
      await once(server, 'close')
    })()
    return closing
  }
  cleanups.push(close)
  return { port, close }
}

/** Echo server: sends back every byte it receives. */
const echo = (s: net.Socket): void => void s.pipe(s)

function collect(fs: FramedSocket): { frames: Buffer[]; closed: Promise<Error | undefined> } {
  const frames: Buffer[] = []
  fs.onFrame((f) => frames.push(Buffer.from(f)))
  const closed = new Promise<Error | undefined>((resolve) => fs.onClose(resolve))
  return { frames, closed }
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

void test('echoes frames written singly and as an array', async () => {
  const srv = await serve(echo)
  const fs = await connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: MAX })
  assert.equal(fs.remoteAddress, `127.0.0.1:${srv.port}`)
  const { frames } = collect(fs)
  const bodies = [randomBytes(3), randomBytes(0), randomBytes(5000), randomBytes(100_000)]
  assert.equal(typeof fs.write(frameWithLength(bodies[0]!)), 'boolean')
  fs.write(bodies.slice(1).map((b) => frameWithLength(b)))
  await until(() => frames.length === bodies.length)
  for (let i = 0; i < bodies.length; i++) assert.ok(frames[i]!.equals(bodies[i]!), `frame ${i}`)
  await fs.close()
  assert.equal(fs.closed, true)
  await srv.close()
})

void test('thousands of frames of random sizes survive real TCP chunking in order', async () => {
  const srv = await serve(echo)
  const fs = await connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: MAX })
  const { frames } = collect(fs)
  const bodies = Array.from({ length: 3000 }, (_, i) =>
    randomBytes(i % 10 === 0 ? 20_000 + (i % 7) * 3000 : i % 300),
  )
  for (let i = 0; i < bodies.length; i += 100) {
    if (!fs.write(bodies.slice(i, i + 100).map((b) => frameWithLength(b)))) await fs.waitWritable()
  }
  await until(() => frames.length === bodies.length, 20_000)
  for (let i = 0; i < bodies.length; i++) assert.ok(frames[i]!.equals(bodies[i]!), `frame ${i}`)
})

void test('frames the peer sends one byte at a time arrive whole', async () => {
  const bodies = [randomBytes(9), randomBytes(1), randomBytes(0), randomBytes(40)]
  const wire = Buffer.concat(bodies.map((b) => frameWithLength(b)))
  const srv = await serve((s) => {
    s.setNoDelay(true)
    let i = 0
    const step = (): void => {
      if (i >= wire.length || s.destroyed) return
      s.write(wire.subarray(i, i + 1))
      i++
      setImmediate(step)
    }
    step()
  })
  const fs = await connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: 100 })
  const { frames } = collect(fs)
  await until(() => frames.length === bodies.length)
  for (let i = 0; i < bodies.length; i++) assert.ok(frames[i]!.equals(bodies[i]!))
  fs.destroy()
  await srv.close()
})

void test('a frame length over maxFrameBytes kills the connection with ProtocolError', async () => {
  const srv = await serve((s) => void s.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3])))
  const fs = await connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: 1000 })
  const { frames, closed } = collect(fs)
  const err = await closed
  assert.ok(err instanceof ProtocolError, String(err))
  assert.equal(err.code, 'CONDUIT_FRAME_TOO_LARGE')
  assert.equal(frames.length, 0)
  assert.equal(fs.closed, true)
  assert.throws(() => fs.write(new Uint8Array(4)), ConnectionError)
  await srv.close()
})

void test('a negative frame length kills the connection with ProtocolError', async () => {
  const srv = await serve((s) => void s.write(Buffer.from([0xff, 0xff, 0xff, 0xfe])))
  const fs = await connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: 1000 })
  const err = await collect(fs).closed
  assert.ok(err instanceof ProtocolError)
  await srv.close()
})

void test('the peer dying mid-frame is a ConnectionError that says so; earlier frames were delivered', async () => {
  const srv = await serve((s) => {
    s.write(frameWithLength(Buffer.from('whole')))
    s.end(frameWithLength(randomBytes(100)).subarray(0, 30))
  })
  const fs = await connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: 1000 })
  const { frames, closed } = collect(fs)
  const err = await closed
  assert.ok(err instanceof ConnectionError)
  assert.match(err.message, /closed by the peer in the middle of a frame \(26 of 100 bytes received\)/)
  assert.equal(frames.length, 1)
  assert.equal(frames[0]!.toString(), 'whole')
  await srv.close()
})

void test('a reset connection is a ConnectionError with the socket error as cause', async () => {
  const srv = await serve((s) => {
    setTimeout(() => s.resetAndDestroy(), 10)
  })
  const fs = await connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: 1000 })
  const err = await collect(fs).closed
  assert.ok(err instanceof ConnectionError)
  assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${srv.port}`))
  assert.equal((err.cause as NodeJS.ErrnoException | undefined)?.code, 'ECONNRESET')
  await srv.close()
})

void test('a clean close by the peer is still reported as an unexpected ConnectionError', async () => {
  const srv = await serve((s) => void s.end())
  const fs = await connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: 1000 })
  const err = await collect(fs).closed
  assert.ok(err instanceof ConnectionError)
  assert.match(err.message, /closed by the peer$/)
  await srv.close()
})

void test('close() is graceful: onClose gets no error, later writes throw, close twice is fine', async () => {
  const srv = await serve(echo)
  const fs = await connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: 1000 })
  const { frames, closed } = collect(fs)
  fs.write(frameWithLength(Buffer.from('last words')))
  await fs.close()
  assert.equal(await closed, undefined)
  assert.equal(frames[0]?.toString(), 'last words', 'a response arriving while closing is still delivered')
  await fs.close()
  assert.throws(() => fs.write(frameWithLength()), ConnectionError)
  await assert.rejects(fs.waitWritable(), ConnectionError)
  await srv.close()
})

void test('close() is clean even when the peer answers the FIN with a reset', async () => {
  const srv = await serve((s) => {
    s.on('end', () => s.resetAndDestroy())
    s.resume()
  })
  const fs = await connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: 1000 })
  const { closed } = collect(fs)
  await fs.close()
  assert.equal(await closed, undefined)
  await srv.close()
})

void test('close() destroys the socket when the peer never closes its side', async () => {
  const srv = await serve((s) => {
    s.on('end', () => {}) // stay half-open: never answer our FIN
  })
  const server = srv
  const fs = await connect({ host: '127.0.0.1', port: server.port, maxFrameBytes: 1000 })
  const start = Date.now()
  await fs.close(100)
  assert.ok(Date.now() - start < 3000)
  assert.equal(fs.closed, true)
  await server.close()
})

void test('onClose registered after the close still fires once, with the reason', async () => {
  const srv = await serve((s) => void s.end())
  const fs = await connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: 1000 })
  fs.onFrame(() => {})
  await until(() => fs.closed)
  let calls = 0
  const err = await new Promise<Error | undefined>((resolve) =>
    fs.onClose((e) => {
      calls++
      resolve(e)
    }),
  )
  assert.ok(err instanceof ConnectionError)
  await new Promise((r) => setTimeout(r, 20))
  assert.equal(calls, 1)
  await srv.close()
})

void test('destroy(err) reports that error; a throwing frame handler kills the connection', async () => {
  const srv = await serve(echo)
  const a = await connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: 1000 })
  const aClosed = collect(a).closed
  const reason = new ProtocolError('bad response')
  a.destroy(reason)
  assert.equal(await aClosed, reason)

  const b = await connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: 1000 })
  const bClosed = new Promise<Error | undefined>((resolve) => b.onClose(resolve))
  b.onFrame(() => {
    throw new TypeError('handler bug')
  })
  b.write(frameWithLength(Buffer.from('x')))
  const err = await bClosed
  assert.ok(err instanceof ConnectionError)
  assert.ok(err.cause instanceof TypeError)
  await srv.close()
})

void test('connect refused is a ConnectionError naming host:port with the cause', async () => {
  const srv = await serve(() => {})
  const port = srv.port
  await srv.close()
  await assert.rejects(
    FramedSocket.connect({ host: '127.0.0.1', port, maxFrameBytes: 10 }),
    (err: unknown) => {
      assert.ok(err instanceof ConnectionError)
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`))
      assert.equal((err.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED')
      assert.equal(err.retriable, true)
      return true
    },
  )
})

void test('connect timeout and abort (TLS handshake against a silent server)', async () => {
  const srv = await serve(() => {}) // accepts TCP, never speaks TLS
  const start = Date.now()
  await assert.rejects(
    FramedSocket.connect({
      host: '127.0.0.1',
      port: srv.port,
      maxFrameBytes: 10,
      tls: true,
      connectTimeoutMs: 100,
    }),
    (err: unknown) =>
      err instanceof ConnectionError && err.code === 'CONDUIT_CONNECT_TIMEOUT' && /100 ms/.test(err.message),
  )
  assert.ok(Date.now() - start < 3000)

  const ac = new AbortController()
  const pending = FramedSocket.connect({
    host: '127.0.0.1',
    port: srv.port,
    maxFrameBytes: 10,
    tls: true,
    signal: ac.signal,
  })
  setTimeout(() => ac.abort(new Error('shutting down')), 20)
  await assert.rejects(
    pending,
    (err: unknown) => err instanceof ConnectionError && /aborted/.test(err.message),
  )
  await assert.rejects(
    FramedSocket.connect({
      host: '127.0.0.1',
      port: srv.port,
      maxFrameBytes: 10,
      signal: AbortSignal.abort(),
    }),
    ConnectionError,
  )
  await srv.close()
})

void test('backpressure: write returns false when the peer stops reading, waitWritable resolves on drain', async () => {
  let peer: net.Socket | undefined
  const srv = await serve((s) => {
    peer = s
    s.pause()
  })
  const fs = await connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: 10 })
  fs.onFrame(() => {})
  const chunk = frameWithLength(new Uint8Array(256 * 1024))
  let writes = 0
  while (fs.write(chunk)) {
    writes++
    assert.ok(writes < 10_000, 'the socket never reported a full buffer')
  }
  let drained = false
  const waiting = fs.waitWritable().then(() => {
    drained = true
  })
  await new Promise((r) => setTimeout(r, 50))
  assert.equal(drained, false, 'waitWritable must wait while the buffer is full')
  await until(() => peer !== undefined)
  peer!.resume()
  await waiting
  assert.equal(drained, true)
  await fs.close()
  await srv.close()
})

void test('waitWritable rejects when the connection dies while waiting', async () => {
  let peer: net.Socket | undefined
  const srv = await serve((s) => {
    peer = s
    s.pause()
  })
  const fs = await connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: 10 })
  fs.onFrame(() => {})
  fs.onClose(() => {})
  const chunk = frameWithLength(new Uint8Array(256 * 1024))
  while (fs.write(chunk)) {
    /* fill */
  }
  const waiting = fs.waitWritable()
  await until(() => peer !== undefined)
  peer!.destroy()
  await assert.rejects(waiting, ConnectionError)
  await srv.close()
})

void test('IPv6 addresses are bracketed in connection errors', async () => {
  // Port 1 on ::1 is closed (or IPv6 is off): either way the connect fails and names [::1]:1.
  await assert.rejects(
    FramedSocket.connect({ host: '::1', port: 1, maxFrameBytes: 10, connectTimeoutMs: 2000 }),
    (err: unknown) => err instanceof ConnectionError && err.message.includes('[::1]:1'),
  )
})

void test('rejects an invalid maxFrameBytes before opening a socket', () => {
  assert.throws(() => FramedSocket.connect({ host: '127.0.0.1', port: 1, maxFrameBytes: -5 }), ConfigError)
})

// ---- TLS, with a self-signed certificate made for this test run ----

let certDir = ''
let cert = ''
let key = ''

before(() => {
  certDir = mkdtempSync(join(tmpdir(), 'conduit-tls-'))
  // openssl is required: a missing binary fails this test loudly rather than skipping it.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      join(certDir, 'key.pem'),
      '-out',
      join(certDir, 'cert.pem'),
    ],
    { stdio: 'pipe' },
  )
  cert = readFileSync(join(certDir, 'cert.pem'), 'utf8')
  key = readFileSync(join(certDir, 'key.pem'), 'utf8')
})

after(() => {
  if (certDir) rmSync(certDir, { recursive: true, force: true })
})

async function serveTls(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = tls.createServer({ cert, key }, (s) => {
    s.on('error', () => {})
    s.pipe(s)
  })
  server.on('tlsClientError', () => {})
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      server.close()
      await once(server, 'close')
    })()
    return closing
  }
  cleanups.push(close)
  return { port: (server.address() as net.AddressInfo).port, close }
}

void test('TLS: frames round-trip when the CA is trusted (IP and host name)', async () => {
  const srv = await serveTls()
  for (const host of ['127.0.0.1', 'localhost']) {
    const fs = await connect({ host, port: srv.port, maxFrameBytes: MAX, tls: { ca: cert } })
    const { frames } = collect(fs)
    const body = randomBytes(70_000)
    fs.write(frameWithLength(body))
    await until(() => frames.length === 1)
    assert.ok(frames[0]!.equals(body))
    await fs.close()
  }
  await srv.close()
})

void test('TLS: an untrusted certificate is a ConnectionError with the TLS error as cause', async () => {
  const srv = await serveTls()
  await assert.rejects(
    FramedSocket.connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: 10, tls: true }),
    (err: unknown) => {
      assert.ok(err instanceof ConnectionError)
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${srv.port}`))
      assert.match(
        String((err.cause as NodeJS.ErrnoException).code),
        /SELF_SIGNED|DEPTH_ZERO|UNABLE_TO_VERIFY/,
      )
      return true
    },
  )
  await srv.close()
})

void test('waitWritable(timeoutMs): a peer that stops reading fails the wait and closes the socket', async () => {
  const srv = await serve((s) => s.pause()) // accepts, never reads
  cleanups.push(srv.close)
  const fs = await connect({ host: '127.0.0.1', port: srv.port, maxFrameBytes: MAX })
  const { closed } = collect(fs)
  const chunk = Buffer.alloc(1024 * 1024)
  let writes = 0
  while (fs.write(chunk) && writes < 256) writes++
  assert.ok(writes < 256, 'the socket buffer filled up')
  await assert.rejects(fs.waitWritable(200, 'a big request'), (e) => {
    assert.ok(e instanceof TimeoutError, String(e))
    assert.equal(e.retriable, true)
    assert.match(e.message, /a big request .* could not be written within 200 ms/)
    return true
  })
  assert.ok((await closed) instanceof TimeoutError, 'onClose receives the timeout')
})

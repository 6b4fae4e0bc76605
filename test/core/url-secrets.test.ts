// No driver quotes a secret of its URL: not in a parse error, not in a connection failure, not in
// broker.url. Unreachable addresses on loopback need no broker; the real-broker cases are in
// test/integration/<broker>/url-secrets.test.ts.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConduitError } from '../../src/core/errors.ts'
import { connect } from '../../src/index.ts'
import { MemoryBroker } from '../../src/memory/broker.ts'
import { parseMemoryUrl } from '../../src/memory/config.ts'
import { leaseEngine } from '../../src/memory/engines.ts'
import { PulsarAdmin } from '../../src/pulsar/admin.ts'
import { runCli } from '../cli/run-cli.ts'

const FAILING: [url: string, options: Record<string, unknown>, code: string][] = [
  ['kafka://u:Zq9-pw@127.0.0.1:1', { connectTimeoutMs: 2000 }, 'CONDUIT_CONNECTION'],
  ['kafka://127.0.0.1:1?sasl=plain&password=Zq9-pw', {}, 'CONDUIT_CONFIG'],
  ['pulsar://u:Zq9-pw@127.0.0.1:1', {}, 'CONDUIT_CONFIG'],
  ['pulsar://127.0.0.1:1?token=Zq9-pw', { connectTimeoutMs: 2000 }, 'CONDUIT_CONNECTION'],
  ['ws://u:Zq9-pw@127.0.0.1:1', {}, 'CONDUIT_CONFIG'],
  ['ws://127.0.0.1:1?token=Zq9-pw', { connectTimeoutMs: 2000 }, 'CONDUIT_CONNECTION'],
  ['rocketmq://ak:Zq9-pw@127.0.0.1:1', {}, 'CONDUIT_CONFIG'],
  ['rocketmq://127.0.0.1:1?secretKey=Zq9-pw', { connectTimeoutMs: 2000 }, 'CONDUIT_CONNECTION'],
  ['file://u:Zq9-pw@localhost/data', {}, 'CONDUIT_CONFIG'],
  ['memory:?token=Zq9-pw', {}, 'CONDUIT_CONFIG'],
  ['kafka:/u:Zq9-pw@h', {}, 'CONDUIT_CONFIG'],
]

void test('a failing connect() never quotes a secret of its URL', async () => {
  for (const [url, options, code] of FAILING) {
    const error = await connect(url, options).then(
      async (broker) => {
        await broker.close()
        return undefined
      },
      (e: unknown) => e,
    )
    assert.ok(error instanceof ConduitError, `${url}: ${String(error)}`)
    assert.equal(error.code, code, `${url}: ${error.message}`)
    const cause = error.cause instanceof Error ? error.cause.message : ''
    assert.doesNotMatch(`${error.message}\n${cause}\n${error.stack ?? ''}`, /Zq9-pw/, url)
  }
})

void test("Pulsar's admin URL is quoted redacted too", () => {
  for (const url of ['http://u:Zq9-pw@', 'ftp://u:Zq9-pw@h/'])
    assert.throws(
      () => new PulsarAdmin({ url }),
      (e: unknown) => e instanceof ConduitError && /u:\*\*\*@/.test(e.message) && !/Zq9-pw/.test(e.message),
    )
})

void test('the CLI reports a refused connection without the password', async () => {
  const r = await runCli(['topics', 'list', '--url', 'kafka://alice:Zq9-pw@127.0.0.1:1'])
  assert.equal(r.code, 1)
  assert.match(r.stderr, /^error \[CONDUIT_CONNECTION\]/)
  assert.doesNotMatch(r.stderr, /Zq9-pw/)
})

void test('broker.url of the embedded broker is redacted', async () => {
  // No memory: or file: URL a user can connect with carries a secret (unknown query options and
  // user info are refused above), so the constructor is given one directly.
  const broker = new MemoryBroker(
    'memory://u:Zq9-pw@x?token=Zq9-pw',
    parseMemoryUrl('memory:'),
    leaseEngine(parseMemoryUrl('memory:')),
  )
  assert.equal(broker.url, 'memory://u:***@x?token=***')
  await broker.close()
  const plain = await connect('memory:?partitions=2')
  assert.equal(plain.url, 'memory:?partitions=2')
  await plain.close()
})

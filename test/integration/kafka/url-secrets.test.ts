// A SASL password given in the URL reaches the broker but nothing a user sees: broker.url, the
// CLI's bench report, an authentication failure.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AuthenticationError } from '../../../src/core/errors.ts'
import { connect } from '../../../src/index.ts'
import { runCli } from '../../cli/run-cli.ts'
import { useBroker } from '../../support/brokers.ts'

function withUserInfo(url: string, username: string, password: string): string {
  return url.replace('kafka://', `kafka://${encodeURIComponent(username)}:${encodeURIComponent(password)}@`)
}

void test('broker.url and the bench report of a credentialed kafka:// URL hide the password', async () => {
  const b = await useBroker('kafka-sasl')
  const { username, password } = b.credentials!
  const url = `${withUserInfo(b.url, username!, password!)}?sasl=scram-sha-512`
  const shown = `${b.url.replace('kafka://', `kafka://${encodeURIComponent(username!)}:***@`)}?sasl=scram-sha-512`

  const broker = await connect(url)
  try {
    assert.equal(broker.url, shown)
    assert.ok((await broker.admin.listTopics()) !== undefined, 'the credentials were used')
  } finally {
    await broker.close()
  }

  for (const format of [[], ['--json']]) {
    const r = await runCli(['bench', '--messages', '200', '--url', url, ...format])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(r.stdout.includes(shown), r.stdout)
    assert.ok(!(r.stdout + r.stderr).includes(password!), 'password printed')
  }
})

void test('a refused password is not quoted in the authentication error', async () => {
  const b = await useBroker('kafka-sasl')
  const { username, wrongPassword } = b.credentials!
  const url = `${withUserInfo(b.url, username!, wrongPassword!)}?sasl=scram-sha-256`
  const error = await connect(url, { connectTimeoutMs: 5000, requestTimeoutMs: 5000 }).then(
    async (broker) => {
      await broker.close()
      return undefined
    },
    (e: unknown) => e,
  )
  assert.ok(error instanceof AuthenticationError, String(error))
  assert.ok(!`${error.message} ${String(error.cause)}`.includes(wrongPassword!))
  const r = await runCli(['topics', 'list', '--url', url])
  assert.equal(r.code, 1)
  assert.match(r.stderr, /CONDUIT_AUTHENTICATION/)
  assert.ok(!r.stderr.includes(wrongPassword!), r.stderr)
})

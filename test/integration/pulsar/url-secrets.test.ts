// A token put into a pulsar:// URL's query string never shows in broker.url or the CLI's reports.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect } from '../../../src/index.ts'
import { runCli } from '../../cli/run-cli.ts'
import { useBroker } from '../../support/brokers.ts'

void test('broker.url of a pulsar:// URL with ?token= is redacted', async () => {
  const b = await useBroker('pulsar')
  const broker = await connect(`${b.url}?token=tok-Zq9`, { adminUrl: b.urls.admin })
  try {
    assert.equal(broker.url, `${b.url}?token=***`)
    await broker.admin.listTopics()
  } finally {
    await broker.close()
  }
  const r = await runCli([
    'bench',
    '--messages',
    '100',
    '--json',
    '--url',
    `${b.url}?token=tok-Zq9`,
    '--option',
    `adminUrl=${b.urls.admin}`,
  ])
  assert.equal(r.code, 0, r.stderr)
  assert.equal((JSON.parse(r.stdout) as { url: string }).url, `${b.url}?token=***`)
  assert.ok(!(r.stdout + r.stderr).includes('tok-Zq9'))
})

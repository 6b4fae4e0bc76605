// A token put into a ws:// URL's query string never shows in broker.url.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect } from '../../../src/index.ts'
import { useBroker } from '../../support/brokers.ts'

void test('broker.url of a ws:// URL with ?token= is redacted, other parameters kept', async () => {
  const b = await useBroker('pulsar')
  const broker = await connect(`${b.urls.ws!}?tenant=public&token=tok-Zq9`)
  try {
    assert.equal(broker.url, `${b.urls.ws!}?tenant=public&token=***`)
    await broker.admin.listTopics()
  } finally {
    await broker.close()
  }
})

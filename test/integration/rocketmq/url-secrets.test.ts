// A secret put into a rocketmq:// URL's query string never shows in broker.url.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect } from '../../../src/index.ts'
import { useBroker } from '../../support/brokers.ts'

void test('broker.url of a rocketmq:// URL with ?secretKey= is redacted, the access key kept', async () => {
  const b = await useBroker('rocketmq')
  const broker = await connect(`${b.url}?accessKey=ak&secretKey=sk-Zq9`)
  try {
    assert.equal(broker.url, `${b.url}?accessKey=ak&secretKey=***`)
    await broker.admin.listTopics()
  } finally {
    await broker.close()
  }
})

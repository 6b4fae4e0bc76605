// The conduit CLI against a real Kafka broker: topics, produce, consume as a group, groups, bench.

import { test } from 'node:test'
import { cliSessionAgainst } from '../../cli/real-broker-scenario.ts'
import { useBroker } from '../../support/brokers.ts'

void test('the conduit CLI works end to end through the kafka:// URL', async () => {
  const broker = await useBroker('kafka')
  await cliSessionAgainst(broker.url, { exactlyOnceAcrossRuns: true })
})

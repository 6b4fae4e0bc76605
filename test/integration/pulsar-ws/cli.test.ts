// The conduit CLI against the real Pulsar broker through the WebSocket URL alone: topics, produce,
// consume as a group, groups, bench.

import { test } from 'node:test'
import { cliSessionAgainst } from '../../cli/real-broker-scenario.ts'
import { useBroker } from '../../support/brokers.ts'

void test('the conduit CLI works end to end through the ws:// URL', async () => {
  const broker = await useBroker('pulsar')
  await cliSessionAgainst(broker.urls.ws!, { exactlyOnceAcrossRuns: false })
})

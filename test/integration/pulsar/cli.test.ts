// The conduit CLI against a real Pulsar broker: topics, produce, consume as a group, groups, bench.

import { test } from 'node:test'
import { cliSessionAgainst } from '../../cli/real-broker-scenario.ts'
import { useBroker } from '../../support/brokers.ts'

void test('the conduit CLI works end to end through the pulsar:// URL', async () => {
  const broker = await useBroker('pulsar')
  await cliSessionAgainst(broker.url, {
    cliOptions: ['--option', `adminUrl=${broker.urls.admin}`],
    exactlyOnceAcrossRuns: false,
  })
})

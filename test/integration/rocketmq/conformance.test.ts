// The shared conformance suite against the real RocketMQ name server + broker, including the
// restart scenario (a private broker instance that the suite restarts mid-stream).

import { after } from 'node:test'
import { conformanceSuite } from '../../../src/testing/index.ts'
import { useBroker } from '../../support/brokers.ts'

const broker = await useBroker('rocketmq', { exclusive: true })
after(() => broker.stop())

conformanceSuite({
  name: 'rocketmq',
  url: broker.url,
  restart: () => broker.restart(),
})

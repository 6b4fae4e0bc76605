// The shared conformance suite against a real Kafka broker of our own (exclusive), so the
// reconnect scenario can restart it on the same port with the same data.
import { after } from 'node:test'
import { conformanceSuite } from '../../../src/testing/index.ts'
import { useBroker } from '../../support/brokers.ts'

const broker = await useBroker('kafka', { exclusive: true })
after(() => broker.stop())

conformanceSuite({ name: 'kafka', url: broker.url, restart: () => broker.restart() })

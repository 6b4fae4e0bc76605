// The shared conformance suite against the real Pulsar standalone, including the restart scenario
// (a private broker instance that the suite restarts mid-stream).
import { conformanceSuite } from '../../../src/testing/index.ts'
import { useBroker } from '../../support/brokers.ts'

const broker = await useBroker('pulsar', { exclusive: true })

conformanceSuite({
  name: 'pulsar',
  url: broker.url,
  connectOptions: { adminUrl: broker.urls.admin!, reconnectBackoff: { initialMs: 100, maxMs: 2000 } },
  restart: () => broker.restart(),
})

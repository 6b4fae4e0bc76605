// The shared conformance suite through the Pulsar WebSocket API against the real standalone,
// including the restart scenario (a private broker instance the suite restarts mid-stream: the
// driver's sockets drop, reconnect with backoff and resume the same producers and subscriptions).
//
// The broker runs without the transaction coordinator (tools/brokers/pulsar.ts): with it, a new
// partition recovers its transaction buffer before dispatching anything, which held one partition's
// messages back 20–30 s under load and made this suite wait 90 s (issue 6).
import { conformanceSuite } from '../../../src/testing/index.ts'
import { useBroker } from '../../support/brokers.ts'

const broker = await useBroker('pulsar', { exclusive: true })

conformanceSuite({
  name: 'pulsar-ws',
  url: broker.urls.ws!,
  connectOptions: { reconnectBackoff: { initialMs: 100, maxMs: 2000 } },
  restart: () => broker.restart(),
})

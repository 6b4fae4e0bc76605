// Seek against a broker that answers in the order a real one sometimes does: the broker closes the
// consumer while it resets the cursor, the client re-subscribes, and the replayed messages arrive
// before SUCCESS for the SEEK. Those messages must be delivered, not dropped as pre-seek ones (a
// real broker shows this order only now and then, so a fake broker makes it happen every time).
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { createClient, PulsarConsumer, type PulsarClient } from '../../src/pulsar/index.ts'
import { CommandType, type BaseCommand } from '../../src/pulsar/protocol/commands.ts'
import { answerSetup, fakeBroker, sendEntry, type Fake } from './fake-broker.ts'

let client: PulsarClient | undefined
after(() => client?.close())

const VALUES = ['m0', 'm1', 'm2']

function sendEntries(fake: Fake, consumerId: bigint): void {
  VALUES.forEach((value, i) => sendEntry(fake, consumerId, 7n, BigInt(i), value))
}

void test('messages replayed before the SEEK answer arrives are delivered, not dropped', async () => {
  let subscriptions = 0
  let pendingSeek: bigint | undefined
  const fake = await fakeBroker((cmd: BaseCommand, f) => {
    if (cmd.type === CommandType.SUBSCRIBE) subscriptions++
    if (answerSetup(cmd, f)) return
    switch (cmd.type) {
      case CommandType.FLOW:
        // The first subscription gets the three entries; so does the one after the seek — and
        // only then does SUCCESS for the SEEK go out.
        sendEntries(f, cmd.flow!.consumerId)
        if (pendingSeek !== undefined) {
          const requestId = pendingSeek
          pendingSeek = undefined
          setTimeout(() => f.send({ type: CommandType.SUCCESS, success: { requestId } }), 20)
        }
        return
      case CommandType.SEEK:
        pendingSeek = cmd.seek!.requestId
        f.send({
          type: CommandType.CLOSE_CONSUMER,
          closeConsumer: { consumerId: cmd.seek!.consumerId, requestId: 0n },
        })
        return
    }
  })
  client = await createClient(`pulsar://127.0.0.1:${fake.port}`)
  const consumer = await PulsarConsumer.create(client, { topic: 'seek-race', subscription: 's' })
  const first = []
  for (let i = 0; i < VALUES.length; i++) first.push(await consumer.receive())
  assert.deepEqual(
    first.map((m) => m?.valueString()),
    VALUES,
  )
  await consumer.seek(first[0]!.messageId)
  assert.equal(subscriptions, 2, 'the client re-subscribed after the broker closed its consumer')
  const replayed = []
  const ac = AbortSignal.timeout(5000)
  for (let i = 0; i < VALUES.length; i++) replayed.push(await consumer.receive(ac))
  assert.deepEqual(
    replayed.map((m) => m?.valueString()),
    VALUES,
  )
  await consumer.close()
})

// Acks are grouped until the event loop turns: an application reading a full local queue with
// receive() + acknowledge() per message sends a few ACK commands, not one per message, and every
// ack still reaches the broker exactly once — also when close(), seek() or a last-message-id query
// follows at once, before the event loop turned.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { createClient, PulsarConsumer, type PulsarClient } from '../../src/pulsar/index.ts'
import { CommandType, commandName, type BaseCommand } from '../../src/pulsar/protocol/commands.ts'
import { answerSetup, fakeBroker, sendEntry, type Fake } from './fake-broker.ts'

const clients: PulsarClient[] = []
after(() => Promise.all(clients.map((c) => c.close())))

/** A broker that sends `count` unbatched entries (entry ids 0..count-1) on the first FLOW. */
async function broker(count: number): Promise<Fake> {
  let sent = false
  return fakeBroker((cmd: BaseCommand, f) => {
    if (answerSetup(cmd, f)) return
    switch (cmd.type) {
      case CommandType.FLOW:
        if (sent) return
        sent = true
        for (let i = 0; i < count; i++) sendEntry(f, cmd.flow!.consumerId, 3n, BigInt(i), `m${i}`)
        return
      case CommandType.SEEK:
        f.send({ type: CommandType.SUCCESS, success: { requestId: cmd.seek!.requestId } })
        return
      case CommandType.GET_LAST_MESSAGE_ID:
        f.send({
          type: CommandType.GET_LAST_MESSAGE_ID_RESPONSE,
          getLastMessageIdResponse: {
            requestId: cmd.getLastMessageId!.requestId,
            lastMessageId: { ledgerId: 3n, entryId: BigInt(count - 1) },
          },
        })
        return
      case CommandType.CLOSE_CONSUMER:
        f.send({ type: CommandType.SUCCESS, success: { requestId: cmd.closeConsumer!.requestId } })
        return
    }
  })
}

async function subscribe(fake: Fake): Promise<PulsarConsumer> {
  const client = await createClient(`pulsar://127.0.0.1:${fake.port}`)
  clients.push(client)
  return PulsarConsumer.create(client, { topic: 'acks', subscription: 's', receiverQueueSize: 1000 })
}

/** Entry ids acknowledged, in the order the ACK commands arrived. */
function ackedEntries(fake: Fake): number[] {
  return fake.received
    .filter((c) => c.type === CommandType.ACK)
    .flatMap((c) => c.ack!.messageId.map((id) => Number(id.entryId)))
}

async function until(what: string, done: () => boolean): Promise<void> {
  const end = Date.now() + 5000
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

void test('acks of messages read from a full local queue go out grouped, none lost', async () => {
  const count = 500
  const fake = await broker(count)
  const consumer = await subscribe(fake)
  await until('the local queue to fill', () => consumer.queued === count)
  for (let i = 0; i < count; i++) {
    const m = await consumer.receive()
    assert.equal(m?.valueString(), `m${i}`)
    void consumer.acknowledge(m!)
  }
  await until('every ack', () => ackedEntries(fake).length >= count)
  assert.deepEqual(
    ackedEntries(fake),
    Array.from({ length: count }, (_, i) => i),
  )
  const commands = fake.received.filter((c) => c.type === CommandType.ACK).length
  assert.ok(commands <= 5, `${commands} ACK commands for ${count} acks read in one go`)
  await consumer.close()
})

void test('acknowledge() resolves once the ack is written, also when awaited one by one', async () => {
  const fake = await broker(20)
  const consumer = await subscribe(fake)
  for (let i = 0; i < 20; i++) {
    const m = await consumer.receive()
    await consumer.acknowledge(m!)
  }
  await until('every ack', () => ackedEntries(fake).length >= 20)
  assert.deepEqual(
    ackedEntries(fake),
    Array.from({ length: 20 }, (_, i) => i),
  )
  await consumer.close()
})

void test('acks given just before close() go out before CLOSE_CONSUMER', async () => {
  const fake = await broker(10)
  const consumer = await subscribe(fake)
  await until('the local queue to fill', () => consumer.queued === 10)
  for (let i = 0; i < 10; i++) void consumer.acknowledge((await consumer.receive())!)
  await consumer.close()
  const types = fake.received.map((c) => c.type)
  const close = types.indexOf(CommandType.CLOSE_CONSUMER)
  assert.ok(close > 0)
  assert.deepEqual(
    ackedEntries({ ...fake, received: fake.received.slice(0, close) }),
    Array.from({ length: 10 }, (_, i) => i),
  )
})

void test('acks given just before seek() or a last-message-id query go out before them', async () => {
  const fake = await broker(4)
  const consumer = await subscribe(fake)
  await until('the local queue to fill', () => consumer.queued === 4)
  void consumer.acknowledge((await consumer.receive())!)
  await consumer.getLastMessageIds()
  void consumer.acknowledge((await consumer.receive())!)
  const seekTo = (await consumer.receive())!.messageId
  await consumer.seek(seekTo)
  const watched: readonly number[] = [CommandType.ACK, CommandType.GET_LAST_MESSAGE_ID, CommandType.SEEK]
  const order = fake.received
    .filter((c) => watched.includes(c.type))
    .map((c) => (c.type === CommandType.ACK ? `ack ${c.ack!.messageId[0]!.entryId}` : commandName(c.type)))
  assert.deepEqual(order, ['ack 0', 'GET_LAST_MESSAGE_ID', 'ack 1', 'SEEK'])
  await consumer.close()
})

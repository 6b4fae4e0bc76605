// The order and error reporting of offset commits (offset-commits.ts) against a fake broker that
// holds its answers: the real broker's thread pools reorder concurrent commits only now and then,
// which the real-broker loop in test/integration/rocketmq/resume.test.ts covers.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BrokerError } from '../../../src/core/errors.ts'
import { RocketMQClient } from '../../../src/rocketmq/client.ts'
import {
  OffsetCommitter,
  offsetCommitErrors,
  type OffsetCommitErrorEvent,
} from '../../../src/rocketmq/consumer/offset-commits.ts'
import { RequestCode, ResponseCode } from '../../../src/rocketmq/protocol/codes.ts'
import { createResponse, type RemotingCommand } from '../../../src/rocketmq/protocol/remoting-command.ts'
import { fakeServer } from '../fake-server.ts'

const topic = 'commit-topic'
const mq = { topic, brokerName: 'b', queueId: 0 }

async function setup(): Promise<{
  client: RocketMQClient
  updates: RemotingCommand[]
  answer: (code?: number) => void
  close: () => Promise<void>
}> {
  const updates: RemotingCommand[] = []
  const held: ((code: number) => void)[] = []
  const broker = await fakeServer((cmd, write) => {
    if (cmd.code !== RequestCode.UPDATE_CONSUMER_OFFSET)
      return write(createResponse(cmd, ResponseCode.SUCCESS))
    updates.push(cmd)
    held.push((code) => write(createResponse(cmd, code, code === ResponseCode.SUCCESS ? null : 'refused')))
  })
  const route =
    `{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:${broker.port}"},"brokerName":"b","cluster":"C"}],` +
    `"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":1,"topicSysFlag":0,"writeQueueNums":1}]}`
  const nameServer = await fakeServer((cmd, write) => {
    write(createResponse(cmd, ResponseCode.SUCCESS, null, new TextEncoder().encode(route)))
  })
  const client = new RocketMQClient({ nameServers: [`127.0.0.1:${nameServer.port}`] })
  await client.route(topic)
  return {
    client,
    updates,
    answer: (code = ResponseCode.SUCCESS) => held.shift()!(code),
    close: async () => {
      await client.close()
      await Promise.all([broker.close(), nameServer.close()])
    },
  }
}

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10))
  assert.ok(cond(), 'condition reached')
}

void test("a queue's next commit is sent only after the broker answered the previous one", async () => {
  const s = await setup()
  try {
    const commits = new OffsetCommitter(s.client, 'g')
    const first = commits.commit(mq, 0, 'periodic')
    const last = commits.commit(mq, 8, 'close', true)
    await until(() => s.updates.length === 1)
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(s.updates.length, 1, 'the close commit waits for the background one')
    s.answer()
    await first
    await until(() => s.updates.length === 2)
    assert.deepEqual(
      s.updates.map((u) => u.extFields.commitOffset),
      ['0', '8'],
    )
    s.answer()
    await last
    assert.equal(commits.confirmed(mq), 8)
    // Already confirmed: not sent again unless forced.
    await commits.commit(mq, 8, 'periodic')
    assert.equal(s.updates.length, 2)
  } finally {
    await s.close()
  }
})

void test('a failed commit rejects, is published on the diagnostics channel, and does not block the next', async () => {
  const s = await setup()
  const events: OffsetCommitErrorEvent[] = []
  const listen = (e: OffsetCommitErrorEvent): void => {
    events.push(e)
  }
  offsetCommitErrors.subscribe(listen)
  try {
    const commits = new OffsetCommitter(s.client, 'g')
    const failing = commits.commit(mq, 4, 'close')
    await until(() => s.updates.length === 1)
    s.answer(ResponseCode.SYSTEM_ERROR)
    await assert.rejects(failing, BrokerError)
    assert.equal(events.length, 1)
    assert.equal(events[0]!.offset, 4)
    assert.equal(events[0]!.reason, 'close')
    assert.ok(events[0]!.error instanceof BrokerError)
    assert.equal(commits.confirmed(mq), -1, 'a failed commit is not counted as done')
    const next = commits.commit(mq, 4, 'periodic')
    await until(() => s.updates.length === 2)
    s.answer()
    await next
    assert.equal(commits.confirmed(mq), 4)
  } finally {
    offsetCommitErrors.unsubscribe(listen)
    await s.close()
  }
})

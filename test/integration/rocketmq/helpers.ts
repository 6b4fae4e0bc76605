// Shared pieces of the RocketMQ integration tests: unique names, a client per test, and
// collecting messages from a push consumer until a condition holds (with a deadline, so a
// missing message fails the test instead of hanging it).

import { RocketMQClient, type ClientOptions } from '../../../src/rocketmq/client.ts'
import type { ConsumedBatch, RocketMQPushConsumer } from '../../../src/rocketmq/consumer/push-consumer.ts'
import type { MessageExt } from '../../../src/rocketmq/protocol/message-ext.ts'
import { RocketMQAdmin } from '../../../src/rocketmq/admin.ts'
import { parseRocketMQUrl } from '../../../src/rocketmq/index.ts'

export { unique } from '../../support/names.ts'

export function newClient(url: string, extra: Partial<ClientOptions> = {}): RocketMQClient {
  return new RocketMQClient({ nameServers: parseRocketMQUrl(url), ...extra })
}

export async function createTopic(client: RocketMQClient, topic: string, queues = 4): Promise<void> {
  await new RocketMQAdmin(client).createTopic(topic, { partitions: queues })
}

export const text = (m: MessageExt): string => Buffer.from(m.body).toString()

/**
 * Reads batches until `done(all)` is true; `onBatch` decides ack (default) or nack. Fails with
 * the messages seen so far when the deadline passes.
 */
export async function collect(
  consumer: RocketMQPushConsumer,
  done: (all: MessageExt[]) => boolean,
  opts: { timeoutMs?: number; onBatch?: (b: ConsumedBatch, all: MessageExt[]) => Promise<void> } = {},
): Promise<MessageExt[]> {
  const all: MessageExt[] = []
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
  while (!done(all)) {
    const left = deadline - Date.now()
    if (left <= 0)
      throw new Error(
        `collect: condition not met after ${opts.timeoutMs ?? 30_000} ms; got ${all.length}: ${all.slice(0, 20).map(text).join(', ')}`,
      )
    let timer: ReturnType<typeof setTimeout> | undefined
    const batch = await Promise.race([
      consumer.next(),
      new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), left)
      }),
    ])
    clearTimeout(timer)
    if (batch === 'timeout' || batch === undefined) continue
    all.push(...batch.messages)
    if (opts.onBatch) await opts.onBatch(batch, all)
    else await batch.ack()
  }
  return all
}

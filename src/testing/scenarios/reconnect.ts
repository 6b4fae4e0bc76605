// Reconnect: the broker restarts (the caller's `restart` hook) under a live connection. Acknowledged
// messages survive, the same producer and consumer carry on once the broker is back, and the
// group continues from its committed position — duplicates allowed (at-least-once), loss not.

import { ConduitError } from '../../core/errors.ts'
import { Deadline, expectedKeys, keysOf, payload, pumpUntilComplete, sleep, within } from '../harness.ts'
import type { Scenario } from '../harness.ts'
import type { ScenarioModule } from './types.ts'

async function survivesRestart(s: Scenario, restart: () => Promise<void>): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 2)
  const producer = await s.producer(broker, topic)
  const before = s.count(60, 6)
  await within(
    producer.send(Array.from({ length: before }, (_, i) => ({ key: `k${i}`, value: payload(s.tag, 0, i) }))),
    s.waitMs,
    'send before restart',
  )
  const group = s.name('group')
  const reader = await s.consumer(broker, { topic, group })
  const firstHalf = await s.consumeUntil(reader, (r) => r.length >= before / 2, { what: 'before restart' })
  await within(restart(), Math.max(s.waitMs, 120_000), 'restart()')
  // The same producer keeps working; sends during the reconnect may fail with a retriable error.
  const after = s.count(60, 6)
  const deadline = new Deadline(Math.max(s.waitMs, 120_000))
  for (let i = 0; i < after; i++) {
    for (;;) {
      try {
        await within(
          producer.send({ key: `k${i}`, value: payload(s.tag, 1, i) }),
          s.waitMs,
          'send after restart',
        )
        break
      } catch (error) {
        if (deadline.expired) throw error
        if (error instanceof ConduitError && !error.retriable) throw error
        await sleep(250)
      }
    }
  }
  const acked = keysOf(firstHalf)
  const expected = new Set(
    [...expectedKeys(1, before), ...[...expectedKeys(2, after)].filter((k) => k.startsWith('1|'))].filter(
      (k) => !acked.has(k),
    ),
  )
  // Nothing acknowledged before or after the restart is lost; redeliveries are allowed.
  await pumpUntilComplete(s, [reader], expected, 'after restart', { ownTagOnly: s.tag })
}

export function reconnectScenarios(restart: (() => Promise<void>) | undefined): ScenarioModule {
  return () => [
    {
      name: 'reconnect after a broker restart loses nothing acknowledged',
      run: (s) => survivesRestart(s, restart!),
      notApplicable: restart ? undefined : 'no restart hook was given to conformanceSuite()',
    },
  ]
}

// Shared bits of the Pulsar integration tests: unique names and bounded waits, so a broken driver
// fails with a message instead of hanging the run.
import { unique, within } from '../../support/names.ts'
import type { PulsarConsumer, PulsarMessage, PulsarReader } from '../../../src/pulsar/index.ts'

export { unique, within }

/** The next message, failing after `ms`. */
export async function next(c: PulsarConsumer | PulsarReader, ms = 15_000): Promise<PulsarMessage> {
  const m = await within('readNext' in c ? c.readNext() : c.receive(), ms, 'receive')
  if (!m) throw new Error('consumer closed while waiting for a message')
  return m
}

/** Resolves with a message if one arrives within `ms`, else undefined. */
export async function maybeNext(c: PulsarConsumer, ms: number): Promise<PulsarMessage | undefined> {
  const ac = new AbortController()
  const timer = setTimeout(() => ac.abort(), ms)
  try {
    return await c.receive(ac.signal)
  } finally {
    clearTimeout(timer)
  }
}

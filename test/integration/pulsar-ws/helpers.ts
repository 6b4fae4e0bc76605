// Shared bits of the Pulsar WebSocket integration tests: unique names, bounded waits, a client on
// the shared broker, so a broken driver fails with a message instead of hanging the run.
import { unique, within } from '../../support/names.ts'
import { PulsarWsClient } from '../../../src/pulsar-ws/index.ts'
import type {
  PulsarWsClientOptions,
  PulsarWsConsumer,
  PulsarWsMessage,
  PulsarWsReader,
} from '../../../src/pulsar-ws/index.ts'

export { unique, within }

/** The next message, failing after `ms`. */
export async function next(c: PulsarWsConsumer | PulsarWsReader, ms = 15_000): Promise<PulsarWsMessage> {
  const m = await within(c.receive(), ms, `receive on ${c.topic}`)
  if (!m) throw new Error('closed while waiting for a message')
  return m
}

/** Resolves with a message if one arrives within `ms`, else undefined (the receive is cancelled). */
export async function maybeNext(
  c: PulsarWsConsumer | PulsarWsReader,
  ms: number,
): Promise<PulsarWsMessage | undefined> {
  const ac = new AbortController()
  const timer = setTimeout(() => ac.abort(new Error('no message')), ms)
  try {
    return await c.receive(ac.signal)
  } catch (error) {
    if (ac.signal.aborted) return undefined
    throw error
  } finally {
    clearTimeout(timer)
  }
}

export function client(url: string, options: Omit<PulsarWsClientOptions, 'url'> = {}): PulsarWsClient {
  return new PulsarWsClient({ url, reconnectBackoff: { initialMs: 100, maxMs: 2000 }, ...options })
}

// Commands that read a topic (consume, topics describe) check that it exists first, through the
// topic list: every broker the CLI talks to creates a topic on first use (Kafka's metadata
// request, Pulsar's subscribe, RocketMQ's auto-create, the embedded autoCreateTopics), so
// subscribing or describing would make a typo into a new, empty topic and wait on it forever.

import type { Broker } from '../core/contract.ts'
import { AuthenticationError, NotFoundError } from '../core/errors.ts'

/**
 * Whether `listed` (what admin.listTopics returned) holds `name`. Pulsar lists full names
 * (`persistent://public/default/orders`) while users type `orders` or `public/default/orders`:
 * a listed name ending in `/<name>` counts too.
 */
export function listedTopic(listed: readonly string[], name: string): boolean {
  return listed.some((t) => t === name || (!name.includes('://') && t.endsWith(`/${name}`)))
}

export function topicNotFound(topic: string, why?: string): NotFoundError {
  return new NotFoundError(`topic "${topic}" does not exist${why ? ` (${why})` : ''}`, {
    hint: `create it with "conduit topics create ${topic}" (same --url), or see the topics with "conduit topics list".`,
  })
}

/** Throws NotFoundError (exit 1) when the broker has no topic `topic`; creates nothing. */
export async function requireTopic(broker: Broker, topic: string): Promise<void> {
  let listed: string[]
  try {
    listed = await broker.admin.listTopics()
  } catch (error) {
    // Credentials for one namespace may not list the tenants (Pulsar answers 401/403): the check
    // is a courtesy, so such a user is not locked out of topics they may read.
    if (error instanceof AuthenticationError) return
    throw error
  }
  if (!listedTopic(listed, topic)) throw topicNotFound(topic)
}

// Topic names. Pulsar's full form is `{persistent|non-persistent}://tenant/namespace/topic`; users
// may write a short name (`orders` → persistent://public/default/orders) or `tenant/ns/topic`. The
// partitions of a partitioned topic are topics of their own named `<topic>-partition-<N>`.
// Standalone on purpose: the WebSocket driver and the admin client parse names the same way.

import { ConfigError } from '../core/errors.ts'

export const PARTITION_SUFFIX = '-partition-'

export interface TopicName {
  /** `persistent` or `non-persistent`. */
  domain: 'persistent' | 'non-persistent'
  tenant: string
  namespace: string
  /** The local name, including any `-partition-N` suffix. */
  local: string
  /** `domain://tenant/namespace/local`. */
  full: string
  /** The partition index when the local name ends in `-partition-N`, else -1. */
  partition: number
  /** The full name without the partition suffix. */
  partitionedTopic: string
}

const SEGMENT = /^[A-Za-z0-9_=:.-]+$/

export function parseTopicName(input: string): TopicName {
  if (typeof input !== 'string' || input.length === 0)
    throw new ConfigError('a Pulsar topic name must be a non-empty string')
  let domain: TopicName['domain'] = 'persistent'
  let rest = input
  const scheme = /^([a-z-]+):\/\/(.*)$/.exec(input)
  if (scheme) {
    if (scheme[1] !== 'persistent' && scheme[1] !== 'non-persistent') {
      throw new ConfigError(
        `invalid topic domain "${scheme[1]}" in "${input}": use persistent:// or non-persistent://`,
      )
    }
    domain = scheme[1]
    rest = scheme[2]!
  }
  const parts = rest.split('/')
  let tenant: string
  let namespace: string
  let local: string
  if (parts.length === 1 && !scheme) {
    tenant = 'public'
    namespace = 'default'
    local = parts[0]!
  } else if (parts.length === 3) {
    ;[tenant, namespace, local] = parts as [string, string, string]
  } else {
    throw new ConfigError(
      `invalid Pulsar topic name "${input}": expected topic, tenant/namespace/topic or persistent://tenant/namespace/topic`,
    )
  }
  for (const [what, value] of [
    ['tenant', tenant],
    ['namespace', namespace],
  ] as const) {
    if (!SEGMENT.test(value)) throw new ConfigError(`invalid ${what} "${value}" in topic name "${input}"`)
  }
  if (local.length === 0 || local.includes('/'))
    throw new ConfigError(`invalid topic "${local}" in "${input}"`)
  const base = `${domain}://${tenant}/${namespace}/`
  const m = /^(.*)-partition-(\d+)$/.exec(local)
  const partition = m ? Number(m[2]) : -1
  return {
    domain,
    tenant,
    namespace,
    local,
    full: base + local,
    partition,
    partitionedTopic: m ? base + m[1]! : base + local,
  }
}

/** The full name of partition `index` of a partitioned topic. */
export function partitionTopic(topic: string, index: number): string {
  return `${parseTopicName(topic).partitionedTopic}${PARTITION_SUFFIX}${index}`
}

/** `tenant/namespace` of a topic, as GET_TOPICS_OF_NAMESPACE wants it. */
export function namespaceOf(topic: string): string {
  const t = parseTopicName(topic)
  return `${t.tenant}/${t.namespace}`
}

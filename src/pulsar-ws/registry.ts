// Names every producer, consumer and reader of a client by (kind, persistence, tenant, namespace,
// topic) — Stargate's via-tuples — so that one part of an application can find what another part
// started without passing objects around. Several entries may share one name (two subscriptions
// on a topic); `find` gives the newest, `findAll` every one. Entries leave when they close.

import type { Persistence } from './endpoint.ts'

export type ComponentKind = 'producer' | 'consumer' | 'reader'

export interface RegistryKey {
  kind: ComponentKind
  persistence: Persistence
  tenant: string
  namespace: string
  topic: string
}

/** The registry key of a topic, Stargate's `registry_key/4`: a persistent producer unless told. */
export function registryKey(
  tenant: string,
  namespace: string,
  topic: string,
  options: { kind?: ComponentKind; persistence?: Persistence } = {},
): RegistryKey {
  return {
    kind: options.kind ?? 'producer',
    persistence: options.persistence ?? 'persistent',
    tenant,
    namespace,
    topic,
  }
}

function keyString(k: RegistryKey): string {
  return [k.kind, k.persistence, k.tenant, k.namespace, k.topic].join('\u0000')
}

export class Registry<T = unknown> {
  readonly #entries = new Map<string, { key: RegistryKey; items: T[] }>()

  /** Adds `item` under `key`; returns a function that removes it again. */
  add(key: RegistryKey, item: T): () => void {
    const s = keyString(key)
    let entry = this.#entries.get(s)
    if (!entry) {
      entry = { key: { ...key }, items: [] }
      this.#entries.set(s, entry)
    }
    entry.items.push(item)
    return () => {
      const current = this.#entries.get(s)
      if (!current) return
      const i = current.items.indexOf(item)
      if (i >= 0) current.items.splice(i, 1)
      if (current.items.length === 0) this.#entries.delete(s)
    }
  }

  /** The newest entry registered under `key`. */
  find(key: RegistryKey): T | undefined {
    const items = this.#entries.get(keyString(key))?.items
    return items?.[items.length - 1]
  }

  findAll(key: RegistryKey): T[] {
    return [...(this.#entries.get(keyString(key))?.items ?? [])]
  }

  /** Every key with how many entries it has. */
  keys(): { key: RegistryKey; count: number }[] {
    return [...this.#entries.values()].map((e) => ({ key: { ...e.key }, count: e.items.length }))
  }

  get size(): number {
    let n = 0
    for (const e of this.#entries.values()) n += e.items.length
    return n
  }
}

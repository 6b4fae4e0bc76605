// Reproducible randomness for the conformance suite: one printed seed decides every random
// message count, batch size and buffer size, so a failure seen once can be replayed exactly with
// CONDUIT_SEED=<seed>. Each scenario derives its own stream from the seed and its name, so adding
// or reordering scenarios does not change what another scenario draws.

export class Random {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9
  }

  /** mulberry32: small, fast, and good enough to pick test sizes. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer from min to max inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!
  }
}

/** FNV-1a of a string, to derive a scenario's stream from the suite seed. */
export function hashString(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** The suite seed: explicit option, else CONDUIT_SEED, else a fresh random one. */
export function resolveSeed(explicit: number | undefined): number {
  if (explicit !== undefined) return explicit >>> 0
  const fromEnv = process.env.CONDUIT_SEED
  if (fromEnv !== undefined && fromEnv !== '') {
    const n = Number(fromEnv)
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`CONDUIT_SEED must be a non-negative integer, got "${fromEnv}"`)
    return n >>> 0
  }
  return Math.floor(Math.random() * 2 ** 32) >>> 0
}

// Deterministic inputs for the compression tests and golden fixtures. They are generated, not
// stored, so the fixtures directory holds only compressed bytes; the generator must therefore
// never change (the golden files were produced from exactly these bytes).

/** xorshift32: a fixed pseudo-random sequence, identical on every platform. */
function xorshift(seed: number): () => number {
  let x = seed | 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return x >>> 0
  }
}

function jsonRecords(count: number): Uint8Array {
  const next = xorshift(42)
  const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi']
  const rows: string[] = []
  for (let i = 0; i < count; i++) {
    const r = next()
    rows.push(
      JSON.stringify({
        id: i,
        user: names[r % names.length],
        email: `${names[r % names.length]}.${r % 1000}@example.com`,
        amount: (r % 100_000) / 100,
        currency: r & 1 ? 'EUR' : 'USD',
        tags: ['orders', r & 2 ? 'priority' : 'standard'],
        ts: 1_700_000_000_000 + i * 1013,
      }),
    )
  }
  return new TextEncoder().encode(rows.join('\n'))
}

function randomBytes(length: number, seed: number): Uint8Array {
  const next = xorshift(seed)
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = next() & 0xff
  return out
}

function runs(length: number): Uint8Array {
  const next = xorshift(7)
  const out = new Uint8Array(length)
  let i = 0
  while (i < length) {
    const value = next() & 0xff
    const run = 1 + (next() % 300)
    out.fill(value, i, Math.min(length, i + run))
    i += run
  }
  return out
}

export const samples: Readonly<Record<string, Uint8Array>> = {
  empty: new Uint8Array(0),
  small: new TextEncoder().encode('hello, conduit'),
  json: jsonRecords(1200),
  random: randomBytes(70_000, 1234),
  runs: runs(100_000),
}

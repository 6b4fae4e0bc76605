// Compress and decompress throughput of every codec on 1 MiB of JSON-like records, plus ratio.
// Run: npx node bench/compression.ts

import { codecs } from '../src/core/compression/index.ts'

function jsonLike(bytes: number): Uint8Array {
  const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']
  const parts: string[] = []
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const row = JSON.stringify({
      id: i,
      user: users[(i * 7) % users.length],
      amount: ((i * 7919) % 100_000) / 100,
      currency: i % 3 ? 'EUR' : 'USD',
      ts: 1_700_000_000_000 + i * 1013,
      tags: ['orders', i % 5 ? 'standard' : 'priority'],
    })
    parts.push(row)
    size += row.length + 1
  }
  return new TextEncoder().encode(parts.join('\n')).subarray(0, bytes)
}

function mbps(bytes: number, fn: () => void): number {
  for (let i = 0; i < 3; i++) fn() // warm-up
  let rounds = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < 500) {
    fn()
    rounds++
    elapsed = performance.now() - start
  }
  return (bytes * rounds) / (elapsed / 1000) / 1e6
}

const data = jsonLike(1 << 20)
console.log(`codec           compress MB/s  decompress MB/s  ratio   (1 MiB JSON-like)`)
for (const codec of Object.values(codecs)) {
  const packed = codec.compressSync(data)
  const c = mbps(data.length, () => codec.compressSync(data))
  const d = mbps(data.length, () => codec.decompressSync(packed, data.length))
  const ratio = data.length / packed.length
  console.log(
    `${codec.name.padEnd(15)} ${c.toFixed(0).padStart(13)}  ${d.toFixed(0).padStart(15)}  ${ratio.toFixed(2).padStart(5)}`,
  )
}

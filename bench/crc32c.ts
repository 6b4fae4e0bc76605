// Throughput of crc32c over buffers of the sizes Kafka record batches usually have.
// Run: npx node bench/crc32c.ts — timed by this process's CPU time, so other load on the machine
// does not count.
import { crc32c } from '../src/core/crc32c.ts'

function bench(size: number, totalBytes: number): void {
  const data = new Uint8Array(size)
  for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 0xff
  const rounds = Math.max(1, Math.floor(totalBytes / size))
  let sink = 0
  for (let r = 0; r < Math.min(rounds, 200); r++) sink = (sink + crc32c(data)) | 0 // warm-up
  const start = process.cpuUsage()
  for (let r = 0; r < rounds; r++) sink = (sink + crc32c(data)) | 0
  const cpu = process.cpuUsage(start)
  const seconds = (cpu.user + cpu.system) / 1e6
  const mbps = (rounds * size) / seconds / 1e6
  console.log(`crc32c ${String(size).padStart(8)} B: ${mbps.toFixed(0).padStart(6)} MB/s  (${sink >>> 0})`)
}

for (const size of [64, 1024, 16 * 1024, 1024 * 1024]) bench(size, 256 * 1024 * 1024)

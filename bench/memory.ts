// `npm run bench:memory`: the embedded broker end to end — produce → consume → ack — for 100 B and
// 1 KiB messages, batch sends and single awaited sends, `memory:` and `file:`; and, in the same run,
// a raw sequential fs write of the same bytes as the ceiling for `file:`.
//
// Latency is measured per message from the moment its send was issued to the moment the consumer
// received it (µs). Goals: memory: ≥ 2 million msg/s batched; file: ≥ half the raw write ceiling.
//
// The raw ceiling writes exactly the bytes the file: run put in its segments, in the same sequence
// of write sizes, to a new file on the same disk, with file:'s default fsync policy (a background
// fdatasync every DEFAULT_FSYNC_INTERVAL_MS, which the writer does not wait for); it runs once just
// before and once just after file: and counts the faster of the two, which can only flatter it.
// Both wall-clock and per-CPU-second ratios are printed, since wall time on a shared machine mostly
// measures the neighbours.
//
// file:/raw compares an end-to-end broker with a bare write loop: file: also does everything
// memory: does (producer, offsets, consumer, acks), so file:/raw can never exceed memory:/raw — at
// 100 B memory: alone is well under half the raw write rate. The line therefore also prints
// file:/(memory:+raw), against the ceiling of doing both, one after the other on one thread, as
// file: must (its write(2) runs on the event loop): 1 / (1/memory: + 1/raw) msg/s. That ratio says
// how much file: costs beyond the broker and the bytes themselves (encoding, checksums, index).
//
// The durable limit, in the same run: `file:` with fsync=always (an fdatasync before each ack)
// against a raw loop that writes the same batch frames (read back from its segments) and makes as
// many fdatasyncs as that file: run made — counted by wrapping fs's fsync calls during the run, so a
// file: run that coalesces several sends into one fsync is not compared with a loop that syncs
// more often. And `file:` with its default policy against `memory:`, since file: is memory: plus the
// bytes. Goals (reported, not enforced): file: default ≥ 0.8 × memory: at 100 B; file: fsync=always
// ≥ 0.8 × raw write+fdatasync. The fsync=always pair runs twice (file:, raw, file:, raw) and each
// side counts at its better round.
//
// Options: --quick (smaller counts), --json (machine-readable lines).

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { Histogram } from '../src/core/histogram.ts'
import type { MessageInput } from '../src/core/contract.ts'
import { connect } from '../src/index.ts'

const quick = process.argv.includes('--quick')
const asJson = process.argv.includes('--json')
/** Messages per send([...]) in the batch runs. */
const BATCH_SIZE = 1000
/** file:'s default fsync interval (src/memory/config.ts), applied to the raw write as well. */
const DEFAULT_FSYNC_INTERVAL_MS = 1000

interface Result {
  mode: string
  size: number
  style: 'batch' | 'single'
  messages: number
  seconds: number
  msgPerSec: number
  mbPerSec: number
  p50us: number
  p99us: number
  /** CPU seconds this process used (user + system, all threads): wall time lies on a busy machine. */
  cpuSeconds: number
}

async function endToEnd(
  url: string,
  mode: string,
  size: number,
  style: 'batch' | 'single',
  messages: number,
): Promise<Result> {
  const broker = await connect(url)
  const topic = `bench-${size}-${style}-${Date.now()}`
  await broker.admin.createTopic(topic, { partitions: 1 })
  const producer = await broker.producer({ topic, bufferSize: 200_000 })
  const consumer = await broker.consumer({ topic, group: 'bench', from: 'earliest', maxBatch: 2000 })
  const value = new Uint8Array(size).fill(97)
  // Send time per message, indexed by offset (one partition: offset = sequence number).
  const sentAt = new Float64Array(messages)
  const latency = new Histogram()

  const start = performance.now()
  const cpuStart = process.cpuUsage()
  const consuming = (async () => {
    let received = 0
    for await (const batch of consumer) {
      const now = performance.now()
      const list = batch.messages
      for (let i = 0; i < list.length; i++) {
        const offset = list[i]!.offset
        latency.record(Math.max(0, Math.round((now - sentAt[offset]!) * 1000)))
      }
      received += list.length
      await batch.ack()
      if (received >= messages) break
    }
  })()

  if (style === 'batch') {
    const batchSize = BATCH_SIZE
    const inputs: MessageInput[] = Array.from({ length: batchSize }, () => ({ value }))
    const window: Promise<unknown>[] = []
    for (let seq = 0; seq < messages; seq += batchSize) {
      const n = Math.min(batchSize, messages - seq)
      const now = performance.now()
      sentAt.fill(now, seq, seq + n)
      window.push(producer.send(n === batchSize ? inputs : inputs.slice(0, n)))
      // Keep a few batches in flight so producing and consuming overlap.
      if (window.length >= 8) await window.shift()
    }
    await Promise.all(window)
  } else {
    for (let seq = 0; seq < messages; seq++) {
      sentAt[seq] = performance.now()
      await producer.send({ value })
    }
  }
  await consuming
  const seconds = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpuStart)
  await broker.close()
  return {
    mode,
    size,
    style,
    messages,
    seconds,
    msgPerSec: messages / seconds,
    mbPerSec: (messages * size) / seconds / 1e6,
    p50us: latency.percentile(50),
    p99us: latency.percentile(99),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  }
}

/**
 * The sizes of the writes a `file:` run made, in order, read back from its segment files. Every
 * flush is one write holding its records as one batch per partition — or, past 1 MiB, as several
 * batches in that same write, which this replays as several writes: a little in file:'s favour
 * (1 MiB writes instead of, at most, the bench's 8 MiB), while everything else flatters the ceiling.
 */
function writeSizesOf(dataDir: string): number[] {
  const sizes: number[] = []
  const topics = path.join(dataDir, 'topics')
  for (const topic of fs.readdirSync(topics)) {
    for (const partition of fs.readdirSync(path.join(topics, topic))) {
      const pdir = path.join(topics, topic, partition)
      if (!fs.statSync(pdir).isDirectory()) continue
      for (const name of fs
        .readdirSync(pdir)
        .filter((f) => f.endsWith('.log'))
        .sort()) {
        const fd = fs.openSync(path.join(pdir, name), 'r')
        const end = fs.fstatSync(fd).size
        const frame = Buffer.alloc(8) // length:u32le crc:u32le of each batch (src/memory/file/record.ts)
        for (let p = 0; p + 8 <= end;) {
          fs.readSync(fd, frame, 0, 8, p)
          const size = 8 + frame.readUInt32LE(0)
          sizes.push(size)
          p += size
        }
        fs.closeSync(fd)
      }
    }
  }
  return sizes
}

interface Raw {
  bytes: number
  seconds: number
  msgPerSec: number
  mbPerSec: number
  cpuMsgPerSec: number
}

/**
 * Writes `sizes` bytes in that sequence of plain sequential fs writes, with file:'s interval fsync
 * policy: every DEFAULT_FSYNC_INTERVAL_MS an fdatasync starts on the thread pool unless one is still
 * running, and the writer never waits for it (the loop yields once per interval so its completion
 * can be seen). The clock stops after the last write, as file:'s does at the last delivery; an
 * fsync still running then is waited for untimed, so it cannot slow the next run instead.
 */
async function rawWrite(dir: string, messages: number, sizes: readonly number[]): Promise<Raw> {
  const file = path.join(dir, 'raw.bin')
  const chunk = Buffer.alloc(Math.max(...sizes), 97)
  const fd = fs.openSync(file, 'w')
  let syncing: Promise<void> | null = null
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  let nextSync = start + DEFAULT_FSYNC_INTERVAL_MS
  let bytes = 0
  for (const size of sizes) {
    let written = 0
    while (written < size) written += fs.writeSync(fd, chunk, written, size - written)
    bytes += size
    if (performance.now() >= nextSync) {
      nextSync += DEFAULT_FSYNC_INTERVAL_MS
      await new Promise(setImmediate)
      syncing ??= new Promise<void>((resolve) => fs.fdatasync(fd, () => resolve())).then(() => {
        syncing = null
      })
    }
  }
  const seconds = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpuStart)
  await syncing
  fs.closeSync(fd)
  fs.rmSync(file)
  return {
    bytes,
    seconds,
    msgPerSec: messages / seconds,
    mbPerSec: bytes / seconds / 1e6,
    cpuMsgPerSec: messages / ((cpu.user + cpu.system) / 1e6),
  }
}

/** Runs `fn`, counting every fsync and fdatasync (async or sync) the process starts meanwhile. */
async function countingFsyncs<T>(fn: () => Promise<T>): Promise<{ result: T; fsyncs: number }> {
  const names = ['fsync', 'fdatasync', 'fsyncSync', 'fdatasyncSync'] as const
  const originals = names.map((name) => fs[name])
  let fsyncs = 0
  names.forEach((name, i) => {
    const original = originals[i] as (...args: unknown[]) => unknown
    ;(fs as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      fsyncs++
      return original(...args)
    }
  })
  try {
    return { result: await fn(), fsyncs }
  } finally {
    names.forEach((name, i) => ((fs as unknown as Record<string, unknown>)[name] = originals[i]))
  }
}

/**
 * Writes `sizes` bytes in that sequence of writes with `fsyncs` fdatasyncs spread evenly over them
 * (the last write is always followed by one), each waited for before the next write: the serial
 * limit of "write, make it durable, acknowledge".
 */
function rawDurableWrite(dir: string, messages: number, sizes: readonly number[], fsyncs: number): Raw {
  const file = path.join(dir, 'raw-durable.bin')
  const chunk = Buffer.alloc(Math.max(...sizes), 97)
  const fd = fs.openSync(file, 'w')
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  let bytes = 0
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i]!
    let written = 0
    while (written < size) written += fs.writeSync(fd, chunk, written, size - written)
    bytes += size
    const due = Math.floor(((i + 1) * fsyncs) / sizes.length) - Math.floor((i * fsyncs) / sizes.length)
    for (let k = 0; k < due; k++) fs.fdatasyncSync(fd)
  }
  const seconds = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpuStart)
  fs.closeSync(fd)
  fs.rmSync(file)
  return {
    bytes,
    seconds,
    msgPerSec: messages / seconds,
    mbPerSec: bytes / seconds / 1e6,
    cpuMsgPerSec: messages / ((cpu.user + cpu.system) / 1e6),
  }
}

function best(a: Raw, b: Raw): Raw {
  return {
    ...(a.msgPerSec >= b.msgPerSec ? a : b),
    cpuMsgPerSec: Math.max(a.cpuMsgPerSec, b.cpuMsgPerSec),
  }
}

/** What endToEnd's batch sends of unkeyed, header-less records write: one batch per send. */
function expectedWriteSizes(size: number, messages: number): number[] {
  const sizes: number[] = []
  for (let left = messages; left > 0; left -= BATCH_SIZE)
    sizes.push(24 + Math.min(BATCH_SIZE, left) * (22 + size))
  return sizes
}

/** What doing `a`'s and then `b`'s work for each message, on one thread, would reach. */
function serial(a: number, b: number): number {
  return 1 / (1 / a + 1 / b)
}

/** Only the payload bytes, in 1 MiB writes: the looser ceiling earlier runs of this bench printed. */
function payloadSizes(size: number, messages: number): number[] {
  const perChunk = Math.max(1, Math.floor((1024 * 1024) / size))
  const sizes: number[] = []
  for (let left = messages; left > 0; left -= perChunk) sizes.push(Math.min(perChunk, left) * size)
  return sizes
}

function print(r: Result, note = ''): void {
  if (asJson) {
    console.log(JSON.stringify({ ...r, note }))
    return
  }
  const f = (n: number) => Math.round(n).toLocaleString('en-US')
  console.log(
    `${r.mode.padEnd(8)} ${String(r.size).padStart(5)} B  ${r.style.padEnd(6)} ${f(r.messages).padStart(10)} msgs  ` +
      `${f(r.msgPerSec).padStart(10)} msg/s  ${r.mbPerSec.toFixed(1).padStart(7)} MB/s  ` +
      `p50 ${f(r.p50us).padStart(7)} µs  p99 ${f(r.p99us).padStart(8)} µs  ` +
      `${f(r.messages / r.cpuSeconds).padStart(10)} msg/CPU-s${note ? '  ' + note : ''}`,
  )
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-bench-'))
const goals: { goal: string; ratio: number }[] = []
try {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')
  console.log(
    `conduit bench:memory — node ${process.version}, ${os.cpus().length} cores, load ${load}${quick ? ', quick' : ''}`,
  )
  // Warm-up (not reported): lets the JIT compile the hot paths before the first measurement.
  await endToEnd('memory:', 'warm-up', 100, 'batch', 300_000)
  await endToEnd('memory:', 'warm-up', 100, 'single', 50_000)
  for (const size of [100, 1024]) {
    const batchCount = quick ? 200_000 : size === 100 ? 3_000_000 : 1_000_000
    const singleCount = quick ? 50_000 : 300_000
    const memoryBatch = await endToEnd('memory:', 'memory:', size, 'batch', batchCount)
    print(memoryBatch)
    print(await endToEnd('memory:', 'memory:', size, 'single', singleCount))
    const dataDir = path.join(dir, `b${size}`)
    // The ceiling runs once just before file: (the page cache as file: finds it, with the write
    // sizes its sends produce: one batch header plus 22 bytes of framing per record) and once just
    // after (the write sizes read back from its segments), and is the faster of the two — that can
    // only flatter the ceiling. Wall time of a single run on this shared machine varies several-fold.
    const before = await rawWrite(dir, batchCount, expectedWriteSizes(size, batchCount))
    const fileBatch = await endToEnd(`file:${dataDir}`, 'file:', size, 'batch', batchCount)
    const sizes = writeSizesOf(dataDir)
    const raw = best(before, await rawWrite(dir, batchCount, sizes))
    fs.rmSync(dataDir, { recursive: true, force: true })
    const payloadOnly = await rawWrite(dir, batchCount, payloadSizes(size, batchCount))
    const fileCpuRate = fileBatch.messages / fileBatch.cpuSeconds
    const ratio = (fileBatch.msgPerSec / raw.msgPerSec).toFixed(2)
    const cpuRatio = (fileCpuRate / raw.cpuMsgPerSec).toFixed(2)
    const both = serial(memoryBatch.msgPerSec, raw.msgPerSec)
    const bothCpu = serial(memoryBatch.messages / memoryBatch.cpuSeconds, raw.cpuMsgPerSec)
    const f = (n: number) => Math.round(n).toLocaleString('en-US')
    print(
      fileBatch,
      `| raw fs write of the same ${f(raw.bytes)} B in the same ${f(sizes.length)} writes: ` +
        `${f(raw.msgPerSec)} msg/s (${raw.mbPerSec.toFixed(0)} MB/s), ${f(raw.cpuMsgPerSec)} msg/CPU-s ` +
        `→ file:/raw = ${ratio} (per CPU-s: ${cpuRatio}) | memory:+raw: ${f(both)} msg/s, ` +
        `${f(bothCpu)} msg/CPU-s → file:/(memory:+raw) = ${(fileBatch.msgPerSec / both).toFixed(2)} ` +
        `(per CPU-s: ${(fileCpuRate / bothCpu).toFixed(2)}) | payload only in 1 MiB writes: ` +
        `${f(payloadOnly.msgPerSec)} msg/s → ${(fileBatch.msgPerSec / payloadOnly.msgPerSec).toFixed(2)}`,
    )
    const vsMemory = fileBatch.msgPerSec / memoryBatch.msgPerSec
    if (!asJson)
      console.log(
        `${' '.repeat(9)}file:/memory: at ${size} B batch = ${vsMemory.toFixed(2)} ` +
          `(per CPU-s: ${(fileCpuRate / (memoryBatch.messages / memoryBatch.cpuSeconds)).toFixed(2)})`,
      )
    if (size === 100) goals.push({ goal: 'file: default / memory: at 100 B ≥ 0.8', ratio: vsMemory })
    print(await endToEnd(`file:${path.join(dir, `s${size}`)}`, 'file:', size, 'single', singleCount))

    // Two rounds, file: then raw each time, and each side counted at its better round: the fsync
    // latency of this shared disk swings several-fold from one second to the next.
    const alwaysCount = Math.floor(batchCount / 4)
    let vsDurable = 0
    let bestAlways: Result | null = null
    let bestDurable: Raw | null = null
    for (let round = 0; round < 2; round++) {
      const alwaysDir = path.join(dir, `a${size}-${round}`)
      const always = await countingFsyncs(() =>
        endToEnd(`file:${alwaysDir}?fsync=always`, 'file:', size, 'batch', alwaysCount),
      )
      const alwaysSizes = writeSizesOf(alwaysDir)
      fs.rmSync(alwaysDir, { recursive: true, force: true })
      const durable = rawDurableWrite(dir, alwaysCount, alwaysSizes, always.fsyncs)
      print(
        always.result,
        `fsync=always, ${f(always.fsyncs)} fsyncs | raw write+fdatasync of the same ${f(durable.bytes)} B ` +
          `in the same ${f(alwaysSizes.length)} writes with as many fdatasyncs: ${f(durable.msgPerSec)} msg/s ` +
          `(${durable.mbPerSec.toFixed(0)} MB/s) → file:/raw = ${(always.result.msgPerSec / durable.msgPerSec).toFixed(2)}`,
      )
      if (!bestAlways || always.result.msgPerSec > bestAlways.msgPerSec) bestAlways = always.result
      if (!bestDurable || durable.msgPerSec > bestDurable.msgPerSec) bestDurable = durable
    }
    vsDurable = bestAlways!.msgPerSec / bestDurable!.msgPerSec
    if (!asJson)
      console.log(
        `${' '.repeat(9)}fsync=always at ${size} B, better round of each: ${f(bestAlways!.msgPerSec)} / ` +
          `${f(bestDurable!.msgPerSec)} msg/s → file:/raw = ${vsDurable.toFixed(2)}`,
      )
    goals.push({ goal: `file: fsync=always / raw write+fdatasync at ${size} B ≥ 0.8`, ratio: vsDurable })
  }
  // Wall-clock ratios on a machine shared with other work mostly measure the neighbours: say how busy it was.
  if (!asJson)
    console.log(
      `load at the end: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    )
  for (const { goal, ratio } of goals) {
    if (asJson) console.log(JSON.stringify({ goal, ratio, met: ratio >= 0.8 }))
    else console.log(`goal ${goal}: ${ratio.toFixed(2)} — ${ratio >= 0.8 ? 'met' : 'missed'}`)
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}

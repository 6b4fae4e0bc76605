// A log-linear histogram in the manner of HdrHistogram, for latencies in benchmarks and the CLI.
//
// Recording must cost nothing next to what is measured, and percentiles must stay accurate from
// microseconds to minutes. Storing every sample is too much memory at millions of messages, and
// fixed-width buckets are either too coarse for small values or too many for large ones. So
// values below 2^b are counted exactly, and above that every power of two [2^e, 2^(e+1)) is split
// into 2^(b-1) equal buckets: the relative error of any reported value is below 2^(1-b)
// (b = 11: 0.1%), with a fixed, small number of counters.
//
// Values are non-negative integers in whatever unit the caller picks (the CLI records µs).

import { ConfigError } from './errors.ts'

export interface HistogramOptions {
  /** b above: values below 2^b are exact; relative error of larger ones below 2^(1-b). Default 11. */
  significantBits?: number
  /** Largest value kept apart; larger ones are counted as this value and flagged `saturated`. Default 2^40. */
  highestValue?: number
}

export class Histogram {
  readonly significantBits: number
  readonly highestValue: number
  /** Values larger than highestValue were recorded (and counted as highestValue). */
  saturated = false
  private readonly counts: Float64Array
  private readonly half: number
  private total = 0
  private sum = 0
  private minValue = Infinity
  private maxValue = -Infinity

  constructor(options: HistogramOptions = {}) {
    const bits = options.significantBits ?? 11
    if (!Number.isInteger(bits) || bits < 2 || bits > 20) {
      throw new ConfigError(`significantBits must be an integer from 2 to 20, got ${bits}`)
    }
    const highest = options.highestValue ?? 2 ** 40
    if (!Number.isSafeInteger(highest) || highest < 2 ** bits) {
      throw new ConfigError(
        `highestValue must be a safe integer of at least 2^significantBits, got ${highest}`,
      )
    }
    this.significantBits = bits
    this.highestValue = highest
    this.half = 2 ** (bits - 1)
    this.counts = new Float64Array(this.indexOf(highest) + 1)
  }

  /** Index of the bucket holding `value` (a non-negative safe integer ≤ highestValue). */
  private indexOf(value: number): number {
    const exact = 2 ** this.significantBits
    if (value < exact) return value
    // e = floor(log2(value)), corrected for floating point error at the edges of a power of two.
    let e = Math.floor(Math.log2(value))
    if (2 ** e > value) e--
    else if (2 ** (e + 1) <= value) e++
    const width = 2 ** (e - this.significantBits + 1)
    const sub = Math.floor(value / width) - this.half
    return exact + (e - this.significantBits) * this.half + sub
  }

  /** The largest value that falls in bucket `index` (so percentiles never under-report). */
  private highestIn(index: number): number {
    const exact = 2 ** this.significantBits
    if (index < exact) return index
    const e = Math.floor((index - exact) / this.half) + this.significantBits
    const sub = (index - exact) % this.half
    const width = 2 ** (e - this.significantBits + 1)
    return (this.half + sub + 1) * width - 1
  }

  /** Counts `value` (rounded down to an integer) `count` times. */
  record(value: number, count = 1): void {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new ConfigError(`a histogram records non-negative finite values, got ${value}`)
    }
    if (!Number.isInteger(count) || count < 1)
      throw new ConfigError(`count must be a positive integer, got ${count}`)
    let v = Math.floor(value)
    if (v > this.highestValue) {
      v = this.highestValue
      this.saturated = true
    }
    this.counts[this.indexOf(v)]! += count
    this.total += count
    this.sum += v * count
    if (v < this.minValue) this.minValue = v
    if (v > this.maxValue) this.maxValue = v
  }

  get count(): number {
    return this.total
  }

  get min(): number {
    return this.total === 0 ? 0 : this.minValue
  }

  get max(): number {
    return this.total === 0 ? 0 : this.maxValue
  }

  get mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total
  }

  /**
   * The value below or at which `percentile` percent of the recorded values lie (0–100), as the
   * highest value of its bucket, never above the recorded maximum. 0 when nothing was recorded.
   */
  percentile(percentile: number): number {
    if (!(percentile >= 0 && percentile <= 100)) {
      throw new ConfigError(`percentile must be between 0 and 100, got ${percentile}`)
    }
    if (this.total === 0) return 0
    const rank = Math.max(1, Math.ceil((percentile / 100) * this.total))
    let seen = 0
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return Math.min(this.highestIn(i), this.maxValue)
    }
    return this.maxValue
  }

  /** Adds another histogram's counts (same significantBits and highestValue) to this one. */
  merge(other: Histogram): void {
    if (other.significantBits !== this.significantBits || other.highestValue !== this.highestValue) {
      throw new ConfigError('only histograms with the same significantBits and highestValue can be merged')
    }
    for (let i = 0; i < other.counts.length; i++) this.counts[i]! += other.counts[i]!
    this.total += other.total
    this.sum += other.sum
    this.saturated ||= other.saturated
    if (other.total > 0) {
      this.minValue = Math.min(this.minValue, other.minValue)
      this.maxValue = Math.max(this.maxValue, other.maxValue)
    }
  }

  reset(): void {
    this.counts.fill(0)
    this.total = 0
    this.sum = 0
    this.minValue = Infinity
    this.maxValue = -Infinity
    this.saturated = false
  }
}

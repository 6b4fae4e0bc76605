// What a benchmark child process used: CPU time as a share of one core over its wall time, and
// its peak resident set size (sampled every 100 ms, since Node reports only the current RSS).
export interface UsageMeter {
  /** Stops sampling and returns the figures since the meter started. */
  stop(): { cpuPct: number; rssMiB: number }
}

export function startUsageMeter(): UsageMeter {
  let peakRss = process.memoryUsage().rss
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100)
  const cpu0 = process.cpuUsage()
  const wall0 = performance.now()
  return {
    stop() {
      const cpu = process.cpuUsage(cpu0)
      const wall = performance.now() - wall0
      clearInterval(timer)
      return { cpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100, rssMiB: peakRss / 1024 / 1024 }
    },
  }
}

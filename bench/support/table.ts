// What every benchmark prints the same way: medians over repeated runs, numbers and ratios
// formatted alike, and a right-aligned table. Benchmarks never assert; they print.

/** The median of the finite values, NaN when there are none. */
export function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/**
 * One row whose every numeric field is that field's median over the runs (figure by figure, so a
 * noisy minute on a shared machine moves one run's figures, not the row). Other fields come from
 * the first run.
 */
export function medianRow<T extends object>(runs: readonly T[]): T {
  const first = runs[0]
  if (!first) throw new RangeError('medianRow needs at least one run')
  const out: Record<string, unknown> = { ...(first as Record<string, unknown>) }
  for (const [key, value] of Object.entries(first)) {
    if (typeof value === 'number') out[key] = median(runs.map((r) => (r as Record<string, number>)[key]!))
  }
  return out as T
}

/** A figure with `digits` decimals, or an em dash when there is none. */
export function fmt(n: number | undefined, digits = 0): string {
  return n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits)
}

/** `a ÷ b` as "1.23×", or an em dash when either is missing. */
export function ratio(a: number | undefined, b: number | undefined): string {
  return a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0
    ? `${(a / b).toFixed(2)}×`
    : '—'
}

/** Prints a header row and rows with every column right-aligned to its widest cell. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  for (const r of all) console.log(r.map((c, i) => c.padStart(widths[i]!)).join('  '))
}

// Human-readable output: aligned tables and numbers with units.

export type Cell = string | number | null | undefined

/**
 * A plain-text table with a header row. Numbers are right-aligned so that columns of offsets and
 * lags line up by their last digit; `null`/`undefined` print as `-`.
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  /** Overrides the alignment per column, e.g. for numbers already formatted as text. */
  align?: readonly ('left' | 'right')[],
): string {
  const text = rows.map((row) => headers.map((_, i) => cellText(row[i])))
  const allNumbers = (i: number): boolean =>
    rows.some((row) => typeof row[i] === 'number') &&
    rows.every((row) => typeof row[i] === 'number' || row[i] == null)
  const numeric = headers.map((_, i) => (align?.[i] ? align[i] === 'right' : allNumbers(i)))
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)))
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(headers), ...text.map(line)].join('\n') + '\n'
}

function cellText(cell: Cell): string {
  return cell === null || cell === undefined ? '-' : String(cell)
}

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

/** A rate with three significant figures: 1234567 → "1.23M". */
export function formatRate(n: number): string {
  if (!Number.isFinite(n)) return '-'
  if (n >= 1e9) return `${(n / 1e9).toPrecision(3)}G`
  if (n >= 1e6) return `${(n / 1e6).toPrecision(3)}M`
  if (n >= 1e3) return `${(n / 1e3).toPrecision(3)}k`
  return n >= 100 ? n.toFixed(0) : n.toPrecision(3)
}

/** Microseconds in the unit that reads best: 850 → "850µs", 12500 → "12.5ms". */
export function formatMicros(us: number): string {
  if (us < 1000) return `${Math.round(us)}µs`
  if (us < 1_000_000) return `${(us / 1000).toPrecision(3)}ms`
  return `${(us / 1_000_000).toPrecision(3)}s`
}

/** Milliseconds as "340ms" or "2.51s". */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toPrecision(3)}s`
}

export function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`
}

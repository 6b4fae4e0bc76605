// A one-line progress bar on standard error, redrawn a few times a second. Only on a terminal:
// when stderr is a file or a pipe, carriage returns would litter the log, so nothing is drawn.

import type { OutputSink } from './io.ts'

const REDRAW_MS = 100
const BAR_WIDTH = 30

export interface ProgressState {
  done: number
  total: number
  /** Text after the bar, e.g. "produced 1,200". */
  detail: string
}

export class ProgressBar {
  private readonly sink: OutputSink
  private readonly read: () => ProgressState
  private timer: NodeJS.Timeout | undefined

  /** `read` is called at each redraw, so the measured loop only bumps counters. */
  constructor(sink: OutputSink, read: () => ProgressState) {
    this.sink = sink
    this.read = read
    if (sink.isTTY) {
      this.timer = setInterval(() => this.draw(), REDRAW_MS)
      this.timer.unref()
    }
  }

  static render(state: ProgressState): string {
    const fraction = state.total > 0 ? Math.min(1, state.done / state.total) : 0
    const filled = Math.round(fraction * BAR_WIDTH)
    const bar =
      '='.repeat(filled) + (filled < BAR_WIDTH ? '>' : '') + ' '.repeat(Math.max(0, BAR_WIDTH - filled - 1))
    return `[${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ${state.detail}`
  }

  private draw(): void {
    let line = ProgressBar.render(this.read())
    // Some terminals (and `script`) report 0 columns: treat that as unknown.
    const columns = this.sink.columns || 80
    if (line.length >= columns) line = line.slice(0, columns - 1)
    this.sink.write(`\r${line}\x1b[K`)
  }

  /** Stops redrawing and clears the line, leaving the terminal as it was. */
  stop(): void {
    if (this.timer === undefined) return
    clearInterval(this.timer)
    this.timer = undefined
    this.sink.write('\r\x1b[K')
  }
}

// The streams and environment a CLI run talks to. Commands never touch `process` directly so that
// tests can run `main()` in-process with their own stdin/stdout and an abort signal standing in
// for SIGINT.

import type { Readable } from 'node:stream'

/** Something the CLI writes to: `process.stdout`, `process.stderr` or a test collector. */
export interface OutputSink {
  write(chunk: string | Uint8Array): boolean
  /** When `write` returned false, the CLI waits for 'drain' before writing more (backpressure). */
  once?(event: 'drain', listener: () => void): unknown
  removeListener?(event: 'drain', listener: () => void): unknown
  readonly isTTY?: boolean
  readonly columns?: number
}

export interface CliIo {
  /** Raw bytes (or text) of standard input; read only by commands that consume it. */
  stdin: AsyncIterable<Uint8Array | string> | Readable
  stdout: OutputSink
  stderr: OutputSink
  env: Readonly<Record<string, string | undefined>>
  /** Aborted on SIGINT: commands stop taking new work, settle what is in flight and return 130. */
  signal: AbortSignal
  /**
   * Aborted when stdout's reader went away (EPIPE, e.g. `conduit consume … | head -1`); then
   * `signal` is aborted too. Output written after this point reached nobody.
   */
  stdoutClosed: AbortSignal
}

/** Writes and, when the sink asks for it, waits until it drained — or until the run is aborted. */
export async function writeTo(
  sink: OutputSink,
  chunk: string | Uint8Array,
  signal?: AbortSignal,
): Promise<void> {
  if (sink.write(chunk) || !sink.once) return
  if (signal?.aborted) return
  await new Promise<void>((resolve) => {
    const done = (): void => {
      signal?.removeEventListener('abort', done)
      sink.removeListener?.('drain', done)
      resolve()
    }
    sink.once!('drain', done)
    signal?.addEventListener('abort', done, { once: true })
  })
}

// Runs the CLI in-process, as the tests need it: given stdin, collected stdout/stderr, an env
// that does not leak the developer's CONDUIT_URL, and an optional abort signal for Ctrl-C.

import { Buffer } from 'node:buffer'
import type { OutputSink } from '../../src/cli/io.ts'
import { main } from '../../src/cli/main.ts'

export class Collector implements OutputSink {
  readonly chunks: Buffer[] = []
  readonly isTTY: boolean
  readonly columns = 100
  constructor(isTTY = false) {
    this.isTTY = isTTY
  }
  write(chunk: string | Uint8Array): boolean {
    this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk))
    return true
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks)
  }
  text(): string {
    return this.bytes().toString('utf8')
  }
}

export interface CliRun {
  code: number
  stdout: string
  stderr: string
  stdoutBytes: Buffer
}

export interface CliRunOptions {
  stdin?: string | Uint8Array | AsyncIterable<Uint8Array | string>
  env?: Record<string, string>
  signal?: AbortSignal
  stdoutClosed?: AbortSignal
  stdout?: Collector
  stderr?: Collector
}

async function* once(chunk: string | Uint8Array): AsyncGenerator<string | Uint8Array> {
  yield chunk
}

export async function runCli(argv: string[], options: CliRunOptions = {}): Promise<CliRun> {
  const stdout = options.stdout ?? new Collector()
  const stderr = options.stderr ?? new Collector()
  const stdin =
    options.stdin === undefined
      ? once('')
      : typeof options.stdin === 'string' || options.stdin instanceof Uint8Array
        ? once(options.stdin)
        : options.stdin
  const code = await main(argv, {
    stdin,
    stdout,
    stderr,
    env: options.env ?? {},
    signal: options.signal ?? new AbortController().signal,
    stdoutClosed: options.stdoutClosed ?? new AbortController().signal,
  })
  return { code, stdout: stdout.text(), stderr: stderr.text(), stdoutBytes: stdout.bytes() }
}

// What every command runs with: the streams, the broker URL, the SIGINT signal; and the one way
// commands open a broker, so that it is always closed — also on error and on Ctrl-C.

import type { Broker } from '../core/contract.ts'
import { NotFoundError } from '../core/errors.ts'
import { schemeOf } from '../core/registry.ts'
import { connect } from '../index.ts'
import { stringOption, type CommandSpec, type OptionValues, type ParsedArgs } from './args.ts'
import { warnOnDamage } from './damage-warnings.ts'
import type { CliIo } from './io.ts'

export const DEFAULT_URL = 'file:./.conduit'

export interface CommandContext {
  io: CliIo
  url: string
  /** Driver settings from `--option k=v` (TLS, credentials, admin URL…). */
  connectOptions: Record<string, unknown>
  signal: AbortSignal
}

export interface Command {
  spec: CommandSpec
  /** Returns the exit code; throws for failures (the caller reports them). */
  run(ctx: CommandContext, args: ParsedArgs): Promise<number>
}

/** A word that groups subcommands, like `topics` in `conduit topics create`. */
export interface CommandGroup {
  name: string
  summary: string
  commands: readonly Command[]
}

/** `--url`, else CONDUIT_URL, else the embedded durable broker in ./.conduit. */
export function resolveUrl(values: OptionValues, env: CliIo['env']): string {
  return stringOption(values, 'url') ?? (env.CONDUIT_URL || DEFAULT_URL)
}

const ABORTED: unique symbol = Symbol('aborted')

/** A promise that settles with ABORTED when the signal fires (never rejects). */
function whenAborted(signal: AbortSignal): { promise: Promise<typeof ABORTED>; dispose(): void } {
  let onAbort = (): void => {}
  const promise = new Promise<typeof ABORTED>((resolve) => {
    onAbort = () => resolve(ABORTED)
    if (signal.aborted) resolve(ABORTED)
    else signal.addEventListener('abort', onAbort, { once: true })
  })
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) }
}

/**
 * Waits for `promise` unless the signal fires first; then returns undefined and hands a late
 * result to `onLate` (e.g. to close a broker that connected after the user gave up).
 */
export async function unlessAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  onLate?: (value: T) => void,
): Promise<T | undefined> {
  const abort = whenAborted(signal)
  try {
    const result = await Promise.race([promise, abort.promise])
    if (result !== ABORTED) return result
    promise.then(
      (value) => onLate?.(value),
      () => {},
    )
    return undefined
  } finally {
    abort.dispose()
  }
}

/** Iterates until the source ends or the signal fires; a pending read is abandoned on abort. */
export async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]()
  const abort = whenAborted(signal)
  let finished = false
  try {
    for (;;) {
      const result = await Promise.race([iterator.next(), abort.promise])
      if (result === ABORTED) return
      if (result.done) {
        finished = true
        return
      }
      yield result.value
    }
  } finally {
    abort.dispose()
    // Release the source (for stdin: destroy the stream) without waiting on a read that may
    // never complete.
    if (!finished && iterator.return) iterator.return().catch(() => {})
  }
}

export interface BrokerUse {
  /**
   * The command only looks (lists, describes, consumes what exists): a `file:` broker whose
   * directory does not exist is not created; connecting fails with the NotFoundError that
   * isMissingData() recognizes.
   */
  lookOnly?: boolean
}

/** The error of a look-only connect to a `file:` directory that does not exist. */
export function isMissingData(error: unknown): error is NotFoundError {
  return error instanceof NotFoundError && error.path !== undefined
}

function connectOptions(ctx: CommandContext, use: BrokerUse): Record<string, unknown> {
  // Only the embedded broker knows `create`; other drivers are given exactly what the user said.
  if (use.lookOnly && schemeOf(ctx.url) === 'file') return { ...ctx.connectOptions, create: false }
  return ctx.connectOptions
}

/** Connects, runs `fn`, and always closes the broker; Ctrl-C during connect gives up at once. */
export async function withBroker<T>(
  ctx: CommandContext,
  fn: (broker: Broker) => Promise<T>,
  use: BrokerUse = {},
): Promise<T | undefined> {
  // Damage the embedded broker finds (on open, or while reading) is a warning on stderr.
  const stopWarnings = warnOnDamage(ctx.io.stderr)
  try {
    const broker = await unlessAborted(connect(ctx.url, connectOptions(ctx, use)), ctx.signal, (late) => {
      // Ctrl-C came first and the command already ended; a failure closing this unused connection
      // has nobody left to tell and changes nothing.
      late.close().catch(() => {})
    })
    if (!broker) return undefined
    let failed = true
    try {
      const result = await fn(broker)
      failed = false
      return result
    } finally {
      // When fn failed, its error is the one worth reporting, not a second one from close.
      if (failed) await broker.close().catch(() => {})
      else await broker.close()
    }
  } finally {
    stopWarnings()
  }
}

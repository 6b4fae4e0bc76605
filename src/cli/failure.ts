// How a failed run is reported: `error [CODE]: message`, a hint saying what to do, and the exit
// code. Hints are chosen by the error's stable `code`, never by its message text.

import { BrokerError, ConduitError, ConfigError, CorruptDataError } from '../core/errors.ts'
import { UsageError } from './args.ts'

export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const

const HINTS: Record<string, string> = {
  CONDUIT_CONNECTION: 'is the broker running and reachable at this URL? Set it with --url or CONDUIT_URL.',
  CONDUIT_TIMEOUT: 'the broker did not answer in time; check that it is up and not overloaded, then retry.',
  CONDUIT_AUTHENTICATION: 'check the credentials given in the URL or driver options.',
  CONDUIT_STORAGE:
    'the embedded broker could not read or write its directory; check disk space and permissions.',
  CONDUIT_LOCKED: 'another process has this file: directory open; stop it, or use another directory.',
  CONDUIT_UNSUPPORTED: 'this broker does not offer that; the driver capabilities list what it can do.',
  CONDUIT_MESSAGE_TOO_LARGE: 'send smaller messages, or raise the broker limit.',
  CONDUIT_BUFFER_FULL: 'the producer buffer is full; retry when the broker has caught up.',
  CONDUIT_CLOSED: 'the connection was closed while the command was running; run it again.',
  CONDUIT_PROTOCOL:
    'the broker sent something this driver cannot read; please report it with the broker version.',
}

export interface FailureReport {
  exitCode: number
  text: string
}

export function describeFailure(error: unknown, debug = false): FailureReport {
  if (error instanceof UsageError) {
    const help = error.command ? `conduit ${error.command} --help` : 'conduit --help'
    return { exitCode: EXIT.usage, text: `error [${error.code}]: ${error.message}\nhint: see "${help}"\n` }
  }
  if (error instanceof ConduitError) {
    let text = `error [${error.code}]: ${error.message}\n`
    if (error instanceof BrokerError)
      text += `broker error: ${error.brokerErrorName} (${String(error.brokerCode)})\n`
    const cause = error.cause instanceof Error ? error.cause.message : undefined
    if (cause && !error.message.includes(cause)) text += `cause: ${cause}\n`
    const hint =
      error instanceof ConfigError
        ? 'check the URL and options (see --help).'
        : error instanceof CorruptDataError
          ? error.hint
          : HINTS[error.code]
    if (hint) text += `hint: ${hint}\n`
    if (debug && error.stack) text += `${error.stack}\n`
    return { exitCode: error instanceof ConfigError ? EXIT.usage : EXIT.failure, text }
  }
  // Not one of ours: a bug or an environment problem. Show the stack when asked to.
  const message = error instanceof Error ? error.message : String(error)
  let text = `error: ${message}\n`
  if (debug && error instanceof Error && error.stack) text += `${error.stack}\n`
  else text += 'hint: set CONDUIT_DEBUG=1 to see the stack trace.\n'
  return { exitCode: EXIT.failure, text }
}

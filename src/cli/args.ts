// Argument parsing for every command, on node:util parseArgs. Each command declares its options
// once (name, type, help text); the same declaration drives parsing, validation and `--help`, so
// the help can never drift from what the parser accepts.

import { parseArgs } from 'node:util'
import { ConfigError } from '../core/errors.ts'
import type { StartPosition } from '../core/contract.ts'

/** A mistake on the command line. The CLI prints the command's usage line and exits with 2. */
export class UsageError extends ConfigError {
  static override readonly kind: string = 'UsageError'
  /** The command whose `--help` explains the mistake, when known. */
  readonly command: string | undefined
  constructor(message: string, command?: string) {
    super(message, { code: 'CONDUIT_USAGE' })
    this.command = command
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  /** Placeholder in the help text, e.g. `N` for `--count N`. */
  value?: string
  description: string
}

export interface CommandSpec {
  /** `produce`, or `topics create` for subcommands. */
  name: string
  summary: string
  /** Positional part of the usage line, e.g. `<topic>`. */
  positionals: string
  options: Record<string, OptionSpec>
  /** Extra paragraphs shown under the options in `--help`. */
  details?: string
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: {
    type: 'string',
    value: 'URL',
    description: 'broker URL (default: $CONDUIT_URL, else file:./.conduit)',
  },
  option: {
    type: 'string',
    short: 'o',
    multiple: true,
    value: 'k=v',
    description: 'driver connect option, e.g. adminUrl=http://h:8080 (JSON values are parsed)',
  },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
}

export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>

export interface ParsedArgs {
  values: OptionValues
  positionals: string[]
}

export function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {}
  for (const [name, o] of Object.entries({ ...spec.options, ...GLOBAL_OPTIONS })) {
    options[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    }
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
    })
    return { values: values as OptionValues, positionals }
  } catch (error) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes and a readable message.
    const message = error instanceof Error ? error.message : String(error)
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''), spec.name)
  }
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

export function stringList(values: OptionValues, name: string): string[] {
  const v = values[name]
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true
}

export interface IntegerBounds {
  min?: number
  max?: number
}

/** Parses `--name N` as a safe integer within bounds; `undefined` when the option is absent. */
export function integerOption(
  values: OptionValues,
  name: string,
  command: string,
  bounds: IntegerBounds = {},
): number | undefined {
  const raw = stringOption(values, name)
  if (raw === undefined) return undefined
  return parseInteger(raw, `--${name}`, command, bounds)
}

export function parseInteger(raw: string, what: string, command: string, bounds: IntegerBounds = {}): number {
  const min = bounds.min ?? 0
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER
  if (!/^-?\d+$/.test(raw.trim())) throw new UsageError(`${what} must be an integer, got "${raw}"`, command)
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`
    throw new UsageError(`${what} must be ${range}, got ${raw}`, command)
  }
  return n
}

/** The one positional a command needs, e.g. the topic; a usage error when missing or doubled. */
export function onePositional(parsed: ParsedArgs, what: string, command: string): string {
  const [first, ...rest] = parsed.positionals
  if (first === undefined || first === '') throw new UsageError(`missing ${what}`, command)
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`, command)
  return first
}

export function noPositionals(parsed: ParsedArgs, command: string): void {
  if (parsed.positionals.length > 0)
    throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`, command)
}

/** `--from earliest|latest|<offset>|<ISO time>` → the contract's StartPosition. */
export function parseStartPosition(raw: string, command: string): StartPosition {
  if (raw === 'earliest' || raw === 'latest') return raw
  if (/^\d+$/.test(raw)) return parseInteger(raw, '--from offset', command)
  // Only accept things that look like an ISO 8601 date, so that a typo such as "earliset" is not
  // silently read by Date.parse as some date.
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw)) {
    const ms = Date.parse(raw)
    if (Number.isFinite(ms)) return new Date(ms)
  }
  throw new UsageError(
    `--from must be earliest, latest, an offset or an ISO time such as 2026-01-31T12:00:00Z, got "${raw}"`,
    command,
  )
}

/** `--header k=v` pairs → a headers object; the first `=` splits, so values may contain `=`. */
export function parseHeaders(pairs: readonly string[], command: string): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`expected name=value, got "${pair}"`, command)
    headers[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return headers
}

/** One choice among fixed words, e.g. `--format lines|json`. */
export function choiceOption<T extends string>(
  values: OptionValues,
  name: string,
  choices: readonly T[],
  fallback: T,
  command: string,
): T {
  const raw = stringOption(values, name)
  if (raw === undefined) return fallback
  if ((choices as readonly string[]).includes(raw)) return raw as T
  throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${raw}"`, command)
}

/**
 * `--option k=v` pairs → driver connect options. A value that is valid JSON is parsed (numbers,
 * booleans, objects such as tls settings); anything else is a string, so `adminUrl=http://h:1`
 * needs no quoting. Each driver validates its own options and names the wrong one.
 */
export function parseConnectOptions(pairs: readonly string[], command: string): Record<string, unknown> {
  const options: Record<string, unknown> = {}
  for (const [name, raw] of Object.entries(parseHeaders(pairs, command))) {
    try {
      options[name] = JSON.parse(raw)
    } catch {
      options[name] = raw
    }
  }
  return options
}

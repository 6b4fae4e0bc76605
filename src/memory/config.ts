// The URLs and options of the embedded broker, validated into one settings object.
//
//   memory:               a fresh, private in-process broker for this connect() call
//   memory:<name>         a named broker shared by every connect() in this process while at
//                         least one connection to it is open (e.g. producer and consumer modules)
//   file:./data           durable, relative to the working directory; also file:/abs/path and
//   file:///abs/path      the WHATWG form. One directory is shared by all connections of a process
//                         and locked against other processes.
//
// Query options (also accepted as connect() options, which win over the URL):
//   partitions=N          partitions of topics created implicitly or without a count (default 1)
//   maxMessageBytes=N     largest key + value accepted (default 1 MiB)
//   autoCreateTopics=B    create unknown topics on first use (default true)
//   retentionMs=N         per partition: drop records older than this (default: none)
//   retentionBytes=N      per partition: keep at most this many bytes (keys, values, headers and
//                         32 bytes per record). memory: defaults to 256 MiB, file: to none (the disk
//                         is its bound). Records live on the process heap, which Node caps at a few
//                         GiB by default; 256 MiB per partition keeps a topic or two well inside it
//                         while a consumer that keeps up never notices, and an abandoned topic can no
//                         longer grow until the process dies. Raise it to keep more history.
//                         When it is reached, the oldest records are dropped; a group whose position
//                         was among them continues where its consumer's `from` says ('latest' by
//                         default, as Kafka's auto.offset.reset) and the skip is published on
//                         diagnostics_channel `conduit:consumer:offset-reset` — never silently.
//   file only: fsync=always|interval (default interval), fsyncIntervalMs=N (default 1000),
//              segmentBytes=N (default 64 MiB),
//              create=B (default true; false: fail with NotFoundError instead of creating a
//              missing directory — for tools that only look, such as `conduit topics list`)

import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ConnectOptions } from '../core/contract.ts'
import { ConfigError } from '../core/errors.ts'
import { MAX_PARTITIONS } from './topic.ts'
import { redactUrl } from '../core/redact-url.ts'

export interface MemorySettings {
  kind: 'memory' | 'file'
  /** Registry key: `memory:<name>`, `file:<absolute dir>`, or null for a private broker. */
  shareKey: string | null
  dir: string | null
  partitions: number
  maxMessageBytes: number
  autoCreateTopics: boolean
  retentionMs: number | undefined
  retentionBytes: number | undefined
  fsync: 'always' | 'interval'
  fsyncIntervalMs: number
  segmentBytes: number
  /** Whether opening a `file:` broker may create its directory. */
  create: boolean
}

const COMMON = ['partitions', 'maxMessageBytes', 'autoCreateTopics', 'retentionMs', 'retentionBytes'] as const
const FILE_ONLY = ['fsync', 'fsyncIntervalMs', 'segmentBytes', 'create'] as const

export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024
/** memory:'s default retentionBytes per partition (see the header for why). */
export const DEFAULT_MEMORY_RETENTION_BYTES = 256 * 1024 * 1024

export function parseMemoryUrl(url: string, options: ConnectOptions = {}): MemorySettings {
  const match = /^(memory|file):(.*)$/is.exec(url)
  if (!match) throw new ConfigError(`"${redactUrl(url)}" is not a memory: or file: URL`)
  const kind = match[1]!.toLowerCase() as 'memory' | 'file'
  const rest = match[2]!
  const queryAt = rest.indexOf('?')
  const location = queryAt < 0 ? rest : rest.slice(0, queryAt)
  const query = new URLSearchParams(queryAt < 0 ? '' : rest.slice(queryAt + 1))
  const allowed: readonly string[] = kind === 'file' ? [...COMMON, ...FILE_ONLY] : COMMON

  const raw: Record<string, unknown> = {}
  for (const [key, value] of query) {
    if (!allowed.includes(key)) {
      throw new ConfigError(
        `unknown option "${key}" in ${kind}: URL; known options: ${allowed.join(', ')}` +
          (kind === 'memory' && (FILE_ONLY as readonly string[]).includes(key)
            ? ` ("${key}" is for file: URLs)`
            : ''),
      )
    }
    raw[key] = value
  }
  for (const key of allowed) if (options[key] !== undefined) raw[key] = options[key]

  let shareKey: string | null = null
  let dir: string | null = null
  if (kind === 'memory') {
    const name = location.replace(/^\/\//, '')
    if (name !== '') {
      if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) {
        throw new ConfigError(`invalid memory broker name "${name}": use letters, digits, '.', '_' and '-'`)
      }
      shareKey = `memory:${name}`
    }
  } else {
    let p: string
    try {
      p = location.startsWith('//') ? fileURLToPath(`file:${location}`) : decodeURIComponent(location)
    } catch (error) {
      throw new ConfigError(`"${redactUrl(url)}" is not a valid file: URL: ${(error as Error).message}`, {
        cause: error,
      })
    }
    if (p === '')
      throw new ConfigError('a file: URL needs a directory, e.g. file:./data or file:/var/lib/conduit')
    dir = path.resolve(p)
    // `file://` (an empty WHATWG path) and `file:/` both name the root: the broker would lock it,
    // create topic folders in it and, with retention, delete segment files there.
    if (path.parse(dir).root === dir) {
      throw new ConfigError(
        `"${redactUrl(url)}" names the root directory ${dir}, not a data directory; ` +
          'give one, e.g. file:./data, file:/var/lib/conduit or file:///var/lib/conduit',
      )
    }
    shareKey = `file:${dir}`
  }

  return {
    kind,
    shareKey,
    dir,
    partitions: integer(raw, 'partitions', 1, 1, MAX_PARTITIONS)!,
    maxMessageBytes: integer(raw, 'maxMessageBytes', DEFAULT_MAX_MESSAGE_BYTES, 1, 64 * 1024 * 1024 - 65536)!,
    autoCreateTopics: boolean(raw, 'autoCreateTopics', true),
    retentionMs: integer(raw, 'retentionMs', undefined, 1, Number.MAX_SAFE_INTEGER),
    retentionBytes: integer(
      raw,
      'retentionBytes',
      kind === 'memory' ? DEFAULT_MEMORY_RETENTION_BYTES : undefined,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    fsync: fsyncPolicy(raw.fsync),
    fsyncIntervalMs: integer(raw, 'fsyncIntervalMs', 1000, 1, 3_600_000)!,
    segmentBytes: integer(raw, 'segmentBytes', 64 * 1024 * 1024, 4096, 1024 * 1024 * 1024)!,
    create: boolean(raw, 'create', true),
  }
}

function integer(
  raw: Record<string, unknown>,
  key: string,
  fallback: number | undefined,
  min: number,
  max: number,
) {
  const value = raw[key]
  if (value === undefined) return fallback
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(
      `option ${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    )
  }
  return n
}

function boolean(raw: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = raw[key]
  if (value === undefined) return fallback
  if (value === true || value === 'true' || value === '1') return true
  if (value === false || value === 'false' || value === '0') return false
  throw new ConfigError(`option ${key} must be true or false, got ${JSON.stringify(value)}`)
}

function fsyncPolicy(value: unknown): 'always' | 'interval' {
  if (value === undefined) return 'interval'
  if (value === 'always' || value === 'interval') return value
  throw new ConfigError(`option fsync must be "always" or "interval", got ${JSON.stringify(value)}`)
}

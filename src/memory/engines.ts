// Which engine a connect() gets: a private one for `memory:`, or the one shared by every open
// connection to the same `memory:<name>` or `file:<dir>` in this process. A shared engine lives while
// it has connections; the last close() releases it (and, for file:, closes its files and lock).
// A file: directory is keyed by its real path, resolved after creating it: `./x`, `/abs/x` and a
// symlink to it are one directory, and two engines on one directory would each append to the same
// segments from their own idea of the next offset, overwriting each other's acknowledged records.

import { existsSync } from 'node:fs'
import { ConfigError, NotFoundError } from '../core/errors.ts'
import type { MemorySettings } from './config.ts'
import { Engine } from './engine.ts'
import { prepareDataDirectory } from './file/data-dir.ts'
import { FileStore } from './file/store.ts'

interface SharedEngine {
  engine: Engine
  refs: number
  fingerprint: string
}

const shared = new Map<string, SharedEngine>()

export interface EngineLease {
  readonly engine: Engine
  release(): void
}

function fingerprint(s: MemorySettings): string {
  // `create` only matters for the first open: a look-only connection may share a writer's engine.
  const { shareKey: _k, dir: _d, create: _c, ...rest } = s
  return JSON.stringify(rest)
}

function createEngine(settings: MemorySettings): Engine {
  const store =
    settings.kind === 'file'
      ? FileStore.open(settings.dir!, {
          fsync: settings.fsync,
          fsyncIntervalMs: settings.fsyncIntervalMs,
          segmentBytes: settings.segmentBytes,
          retentionBytes: settings.retentionBytes,
          retentionMs: settings.retentionMs,
        })
      : null
  try {
    return new Engine({
      partitions: settings.partitions,
      maxMessageBytes: settings.maxMessageBytes,
      autoCreateTopics: settings.autoCreateTopics,
      retention: { ms: settings.retentionMs, bytes: settings.retentionBytes },
      store,
    })
  } catch (error) {
    store?.close()
    throw error
  }
}

export function leaseEngine(requested: MemorySettings): EngineLease {
  const settings = requested.kind === 'file' ? onRealPath(requested) : requested
  const key = settings.shareKey
  if (key === null) {
    const engine = createEngine(settings)
    return { engine, release: () => engine.close() }
  }
  let entry = shared.get(key)
  if (entry) {
    if (entry.fingerprint !== fingerprint(settings)) {
      throw new ConfigError(
        `${key} is already open in this process with different options; connect with the same options`,
      )
    }
  } else {
    entry = { engine: createEngine(settings), refs: 0, fingerprint: fingerprint(settings) }
    shared.set(key, entry)
  }
  entry.refs++
  const held = entry
  let released = false
  return {
    engine: held.engine,
    release: () => {
      if (released) return
      released = true
      if (--held.refs === 0) {
        shared.delete(key)
        held.engine.close()
      }
    },
  }
}

function onRealPath(settings: MemorySettings): MemorySettings {
  if (!settings.create && !existsSync(settings.dir!)) {
    // Checked before the directory is prepared, which would create it (and then its lock file).
    throw new NotFoundError(`no broker data in ${settings.dir!}: the directory does not exist`, {
      path: settings.dir!,
      hint: 'check the path; the directory is made when a broker opens it with create=true (the default)',
    })
  }
  const dir = prepareDataDirectory(settings.dir!)
  return { ...settings, dir, shareKey: `file:${dir}` }
}

// Offsets of a broadcasting consumer, kept on local disk (the broker keeps none for broadcasting:
// every member reads every queue on its own). Like the Java client's local offset store, one JSON
// file per client id and group: <dir>/<clientId>/<group>/offsets.json, so a member that restarts
// with the same client id resumes where it stopped instead of at `consumeFrom`.
//
// Writes are atomic (temp file in the same directory, then rename): a crash mid-write leaves the
// previous file intact, never a truncated one. A file that cannot be parsed is a ConfigError on
// load — silently starting over would redeliver (or skip) a whole history.

import { mkdir, readFile, rename, writeFile, rm } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '../../core/errors.ts'

/** Where offset files go unless the consumer says otherwise. */
export const defaultOffsetStoreDir = (): string => join(homedir(), '.conduit', 'rocketmq-offsets')

/** Largest offsets file read back (a file per group holds one number per queue; this is generous). */
const MAX_FILE_BYTES = 16 * 1024 * 1024

interface OffsetsFile {
  version: 1
  group: string
  /** queue key (`topic@brokerName@queueId`) → next offset to consume. */
  offsets: Record<string, number>
}

/** Path components come from client ids and group names: keep them inside their directory. */
function safeSegment(s: string): string {
  return s.replace(/[^A-Za-z0-9._@#%-]/g, '_').replace(/^\.+$/, '_')
}

export class LocalOffsetStore {
  readonly path: string
  readonly #dir: string
  readonly #group: string
  readonly #offsets = new Map<string, number>()
  #dirty = false
  /** Writes are serialized so an older snapshot never renames over a newer one. */
  #writing: Promise<void> = Promise.resolve()
  #tmpCounter = 0

  constructor(baseDir: string, clientId: string, group: string) {
    this.#dir = join(baseDir, safeSegment(clientId), safeSegment(group))
    this.path = join(this.#dir, 'offsets.json')
    this.#group = group
  }

  /** Reads the file if there is one. A missing file is an empty store. */
  async load(): Promise<void> {
    let text: string
    try {
      const bytes = await readFile(this.path)
      if (bytes.length > MAX_FILE_BYTES)
        throw new ConfigError(`offset file ${this.path} is larger than ${MAX_FILE_BYTES} bytes`)
      text = bytes.toString('utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      throw new ConfigError(`offset file ${this.path} is not valid JSON`, { cause: err })
    }
    const offsets = (parsed as Partial<OffsetsFile> | null)?.offsets
    if (typeof offsets !== 'object' || offsets === null || Array.isArray(offsets))
      throw new ConfigError(`offset file ${this.path} has no "offsets" object`)
    for (const [key, value] of Object.entries(offsets)) {
      if (!Number.isSafeInteger(value) || (value as number) < 0)
        throw new ConfigError(`offset file ${this.path}: offset of ${key} is not a non-negative integer`)
      this.#offsets.set(key, value as number)
    }
  }

  get(queueKey: string): number | undefined {
    return this.#offsets.get(queueKey)
  }

  set(queueKey: string, offset: number): void {
    if (this.#offsets.get(queueKey) === offset) return
    this.#offsets.set(queueKey, offset)
    this.#dirty = true
  }

  /** Writes the file when something changed since the last write. */
  flush(): Promise<void> {
    this.#writing = this.#writing
      .catch(() => {})
      .then(async () => {
        if (!this.#dirty) return
        this.#dirty = false
        const body: OffsetsFile = {
          version: 1,
          group: this.#group,
          offsets: Object.fromEntries(this.#offsets),
        }
        const tmp = `${this.path}.${process.pid}.${++this.#tmpCounter}.tmp`
        try {
          await mkdir(this.#dir, { recursive: true })
          await writeFile(tmp, JSON.stringify(body, null, 2))
          await rename(tmp, this.path)
        } catch (err) {
          this.#dirty = true
          await rm(tmp, { force: true }).catch(() => {})
          throw err
        }
      })
    return this.#writing
  }
}

// Where downloaded broker class paths, built tools and state files live: outside the repository,
// shared by every clone on the machine and reused across runs.
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'

export function cacheRoot(): string {
  return process.env.CONDUIT_CACHE_DIR ?? join(homedir(), '.cache', 'conduit')
}

/** State files of brokers started by `npm run brokers -- up`. */
export function runDir(): string {
  return join(cacheRoot(), 'run')
}

/** State files of brokers owned by one process (watched by tools/brokers/watchdog.ts). */
export function ownedDir(): string {
  return join(cacheRoot(), 'run', 'owned')
}

/** Parent of every broker's work directory (config, logs, data). */
export function workRoot(): string {
  return process.env.CONDUIT_BROKER_TMP ?? join(tmpdir(), 'conduit-brokers')
}

// Real brokers for tests. `useBroker(kind)` hands a test the connection details of a running
// broker of that kind, in this order of preference:
//   (a) the brokers the test runner (tools/test/run.ts) started for the whole run, listed in the
//       JSON file named by CONDUIT_TEST_BROKERS;
//   (b) a broker a developer started with `npm run brokers -- up <kind>` (a live state file);
//   (c) otherwise one started by this process, shared by every test in it, stopped at exit.
// `{ exclusive: true }` always starts a private instance (own ports, own data), which the test may
// kill and restart; it is stopped at process exit if the test does not stop it first.
//
// A missing Java, Maven or Maven Central makes useBroker reject with a message saying so: tests
// that need a broker fail loudly, they never skip.
import { readFileSync } from 'node:fs'
import { killBroker, restartBroker, startBroker, stopBroker } from '../../tools/brokers/instance.ts'
import { ownBroker, releaseBroker, writeOwned } from '../../tools/brokers/owner.ts'
import { liveState } from '../../tools/brokers/state.ts'
import {
  BROKER_KINDS,
  isBrokerKind,
  type BrokerKind,
  type BrokerState,
  type TlsMaterial,
} from '../../tools/brokers/types.ts'

export type { BrokerKind, TlsMaterial }

export interface BrokerHandle {
  kind: BrokerKind
  /** kafka://127.0.0.1:P (cluster: kafka://h:p1,h:p2,h:p3), pulsar://127.0.0.1:P, rocketmq://127.0.0.1:NAMESRV_P */
  url: string
  /** kafka: bootstrap; pulsar: url, admin, ws (+ tlsUrl, adminTls, wss); rocketmq: namesrv, broker. */
  urls: Record<string, string>
  credentials?: Record<string, string>
  /** PEM text. */
  tls?: TlsMaterial
  /** SIGKILL every process of the broker; its data stays. Exclusive instances only. */
  kill(): Promise<void>
  /** Start again on the same ports with the same data dir (after kill(), or gracefully). Exclusive only. */
  restart(): Promise<void>
  /** Stop (exclusive: graceful stop, files removed). For a shared broker this only releases it. */
  stop(): Promise<void>
}

export interface UseBrokerOptions {
  exclusive?: boolean
}

const shared = new Map<BrokerKind, Promise<BrokerHandle>>()

export function useBroker(kind: BrokerKind, options: UseBrokerOptions = {}): Promise<BrokerHandle> {
  if (!isBrokerKind(kind)) {
    return Promise.reject(
      new Error(`unknown broker kind '${String(kind)}'; known: ${BROKER_KINDS.join(', ')}`),
    )
  }
  if (options.exclusive) return startOwned(kind, true)
  let handle = shared.get(kind)
  if (!handle) {
    handle = findShared(kind)
    shared.set(kind, handle)
    // A failed start is not cached: the next test asks again (and fails loudly again).
    handle.catch(() => shared.delete(kind))
  }
  return handle
}

/** The brokers the test runner started, by kind (CONDUIT_TEST_BROKERS). */
function runnerBrokers(): Partial<Record<BrokerKind, BrokerState>> {
  const file = process.env.CONDUIT_TEST_BROKERS
  if (!file) return {}
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<BrokerKind, BrokerState>>
  } catch (error) {
    throw new Error(`CONDUIT_TEST_BROKERS names ${file}, which cannot be read: ${String(error)}`)
  }
}

async function findShared(kind: BrokerKind): Promise<BrokerHandle> {
  const fromRunner = runnerBrokers()[kind]
  if (fromRunner) return borrowedHandle(fromRunner, 'the test runner')
  const live = liveState(kind)
  if (live) return borrowedHandle(live, '`npm run brokers -- up`')
  return startOwned(kind, false)
}

function view(state: BrokerState): Pick<BrokerHandle, 'kind' | 'url' | 'urls' | 'credentials' | 'tls'> {
  return {
    kind: state.kind,
    url: state.url,
    urls: { ...state.urls },
    ...(state.credentials ? { credentials: { ...state.credentials } } : {}),
    ...(state.tls ? { tls: { ...state.tls } } : {}),
  }
}

/** A broker someone else owns: killing or restarting it would break other test files. */
function borrowedHandle(state: BrokerState, owner: string): BrokerHandle {
  const refuse = (what: string) => (): Promise<void> =>
    Promise.reject(
      new Error(
        `${what}() on the shared ${state.kind} broker (owned by ${owner}) would disturb other tests; use useBroker('${state.kind}', { exclusive: true })`,
      ),
    )
  return { ...view(state), kill: refuse('kill'), restart: refuse('restart'), stop: () => Promise.resolve() }
}

async function startOwned(kind: BrokerKind, exclusive: boolean): Promise<BrokerHandle> {
  const state = await startBroker(kind)
  ownBroker(state)
  let stopped = false
  const alive = (what: string): void => {
    if (stopped) throw new Error(`${what}() on a ${kind} broker that was stopped`)
  }
  if (!exclusive) {
    // Shared within this process: stopped at exit by owner.ts; individual tests only release it.
    const handle = borrowedHandle(state, 'this test process')
    return handle
  }
  return {
    ...view(state),
    async kill() {
      alive('kill')
      await killBroker(state)
    },
    async restart() {
      alive('restart')
      await restartBroker(state)
      writeOwned(state)
    },
    async stop() {
      if (stopped) return
      stopped = true
      await stopBroker(state)
      releaseBroker(state)
    },
  }
}

// The shapes shared by the broker launcher, the `npm run brokers` CLI, the test runner and
// test/support/brokers.ts. A BrokerState is plain JSON so it can be written to a state file and
// read back by another process (a developer's `brokers up`, the test runner's CONDUIT_TEST_BROKERS).

export const BROKER_KINDS = [
  'kafka',
  'kafka-cluster',
  'kafka-sasl',
  'kafka-tls',
  'pulsar',
  'pulsar-auth',
  'pulsar-tls',
  'rocketmq',
  'rocketmq-acl',
  'rocketmq-cluster',
  'rocketmq-tls',
  'rocketmq-mtls',
] as const

export type BrokerKind = (typeof BROKER_KINDS)[number]

export function isBrokerKind(value: string): value is BrokerKind {
  return (BROKER_KINDS as readonly string[]).includes(value)
}

/** PEM text, ready to hand to node:tls. */
export interface TlsMaterial {
  ca: string
  cert?: string
  key?: string
}

/** One JVM (or other) process of a broker: everything needed to start it again after a kill. */
export interface ProcessSpec {
  name: string
  argv: string[]
  cwd: string
  /** stdout and stderr are appended here. */
  log: string
}

export interface RunningProcess extends ProcessSpec {
  /** Also the process-group id: every broker process leads its own group. */
  pid: number
}

export interface BrokerState {
  kind: BrokerKind
  /** e.g. `kafka 4.3.1`, for humans and reports. */
  version: string
  url: string
  urls: Record<string, string>
  credentials?: Record<string, string>
  tls?: TlsMaterial
  ports: Record<string, number>
  /** Holds config, logs and data; removed when the broker is stopped. */
  workDir: string
  /** Survives kill + restart. */
  dataDir: string
  logDir: string
  processes: RunningProcess[]
  startedAt: string
  /** Wall time from spawn of the first process to "really ready". */
  startupMs: number
}

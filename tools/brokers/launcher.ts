// What each broker family (tools/brokers/kafka.ts, pulsar.ts, rocketmq.ts) provides to the
// generic lifecycle in instance.ts.
import type { BrokerPom } from './maven.ts'
import type { BrokerKind, BrokerState, ProcessSpec } from './types.ts'

export interface LaunchContext {
  kind: BrokerKind
  /** Directory of jars. */
  lib: string
  workDir: string
  dataDir: string
  logDir: string
}

export interface PreparedBroker {
  state: Omit<BrokerState, 'processes' | 'startedAt' | 'startupMs'>
  /** In start order. */
  specs: ProcessSpec[]
}

export interface Launcher {
  pom: BrokerPom
  version: string
  /** Writes config, formats storage, picks ports; starts nothing that keeps running. */
  prepare(context: LaunchContext): Promise<PreparedBroker>
  /**
   * Called after process `index` was spawned (on first start and on restart), before the next one
   * is: waits until that process (or, after the last one, the whole broker) is really ready.
   */
  afterStart(state: BrokerState, index: number): Promise<void>
}

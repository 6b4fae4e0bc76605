// Apache RocketMQ 5.3.3 as a small cluster, for failover tests: one name server and three broker
// nodes in one cluster —
//   broker-a master (brokerId 0, SYNC_MASTER) + broker-a slave (brokerId 1, replicating by HA), and
//   broker-b master (brokerId 0), a second broker group so sends have somewhere to fail over to.
// killClusterNode() kills one node (BrokerHandle.kill() kills them all).
// The broker-a master lets clients read from its slave (slaveReadEnable), which it suggests once
// requested messages fall out of its page cache, and the slave serves pulls when the master is gone.
// Each node has its own ports and store directory; heaps are small (two cores, shared).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { javaArgv, propertiesText } from './jvm.ts'
import type { LaunchContext, Launcher, PreparedBroker } from './launcher.ts'
import { freePort } from './ports.ts'
import { portOpen, waitUntil } from './ready.ts'
import { rocketmqBrokerRegistered } from './probe-rocketmq.ts'
import { JAVA17_FLAGS, ROCKETMQ_VERSION } from './rocketmq.ts'
import { killProcesses } from './processes.ts'
import type { BrokerState, ProcessSpec } from './types.ts'

const READY_TIMEOUT_MS = 240_000

/** Broker nodes in start order (process index 1..3; index 0 is the name server). */
export const CLUSTER_NODES = [
  { node: 'broker-a-master', brokerName: 'broker-a', brokerId: 0 },
  { node: 'broker-a-slave', brokerName: 'broker-a', brokerId: 1 },
  { node: 'broker-b-master', brokerName: 'broker-b', brokerId: 0 },
] as const

export type ClusterNode = (typeof CLUSTER_NODES)[number]['node']

async function prepare(context: LaunchContext): Promise<PreparedBroker> {
  const { kind, lib, workDir, dataDir, logDir } = context
  const ports: Record<string, number> = { namesrv: await freePort() }
  // Each broker binds listenPort, listenPort - 2 (the "VIP" channel) and listenPort + 1 (HA).
  for (const n of CLUSTER_NODES) ports[n.node] = await freePort([-2, 1])
  const home = join(workDir, 'home')
  mkdirSync(join(home, 'conf'), { recursive: true })
  const namesrvConf = join(workDir, 'namesrv.conf')
  writeFileSync(namesrvConf, propertiesText({ listenPort: ports.namesrv!, bindAddress: '127.0.0.1' }))
  const properties = { 'rocketmq.home.dir': home, 'user.home': workDir, 'rocketmq.client.logRoot': logDir }

  const specs: ProcessSpec[] = [
    {
      name: 'rocketmq-namesrv',
      cwd: workDir,
      log: join(logDir, 'rocketmq-namesrv.log'),
      argv: javaArgv({
        classpath: lib,
        main: 'org.apache.rocketmq.namesrv.NamesrvStartup',
        args: ['-c', namesrvConf],
        heap: '128m',
        directMemory: '64m',
        properties,
        extraFlags: JAVA17_FLAGS,
      }),
    },
  ]
  for (const n of CLUSTER_NODES) {
    const store = join(dataDir, n.node)
    const conf = join(workDir, `${n.node}.conf`)
    writeFileSync(
      conf,
      propertiesText({
        brokerClusterName: 'ConduitCluster',
        brokerName: n.brokerName,
        brokerId: n.brokerId,
        // broker-a replicates synchronously: SEND_OK from it means stored on the slave too, so
        // nothing acknowledged is lost when its master is killed.
        brokerRole: n.brokerId !== 0 ? 'SLAVE' : n.brokerName === 'broker-a' ? 'SYNC_MASTER' : 'ASYNC_MASTER',
        // In 5.x SYNC_MASTER alone waits for no one (inSyncReplicas defaults to 1): a master killed
        // right after SEND_OK lost the last messages from its slave until these said 2.
        ...(n.brokerName === 'broker-a' ? { totalReplicas: 2, inSyncReplicas: 2 } : {}),
        flushDiskType: 'ASYNC_FLUSH',
        namesrvAddr: `127.0.0.1:${ports.namesrv}`,
        brokerIP1: '127.0.0.1',
        brokerIP2: '127.0.0.1',
        listenPort: ports[n.node]!,
        haListenPort: ports[n.node]! + 1,
        bindAddress: '127.0.0.1',
        storePathRootDir: store,
        storePathCommitLog: join(store, 'commitlog'),
        autoCreateTopicEnable: true,
        autoCreateSubscriptionGroup: true,
        slaveReadEnable: true,
        traceTopicEnable: false,
        mappedFileSizeCommitLog: 67108864,
        mappedFileSizeConsumeQueue: 300000,
        maxIndexNum: 1000,
        maxHashSlotNum: 4000,
        diskMaxUsedSpaceRatio: 95,
      }),
    )
    specs.push({
      name: `rocketmq-${n.node}`,
      cwd: workDir,
      log: join(logDir, `rocketmq-${n.node}.log`),
      argv: javaArgv({
        classpath: lib,
        main: 'org.apache.rocketmq.broker.BrokerStartup',
        args: ['-c', conf],
        heap: '256m',
        directMemory: '256m',
        properties,
        extraFlags: JAVA17_FLAGS,
      }),
    })
  }

  return {
    specs,
    state: {
      kind,
      version: `rocketmq ${ROCKETMQ_VERSION} (2 broker groups, broker-a with a slave)`,
      url: `rocketmq://127.0.0.1:${ports.namesrv}`,
      urls: {
        namesrv: `127.0.0.1:${ports.namesrv}`,
        ...Object.fromEntries(CLUSTER_NODES.map((n) => [n.node, `127.0.0.1:${ports[n.node]}`])),
      },
      ports,
      workDir,
      dataDir,
      logDir,
    },
  }
}

async function afterStart(state: BrokerState, index: number): Promise<void> {
  const options = { timeoutMs: READY_TIMEOUT_MS, watch: state.processes }
  const namesrv = state.ports.namesrv!
  if (index === 0) {
    await waitUntil(`the RocketMQ name server port ${namesrv}`, () => portOpen(namesrv), options)
    return
  }
  const node = CLUSTER_NODES[index - 1]!.node
  const port = state.ports[node]!
  await waitUntil(`the RocketMQ ${node} port ${port}`, () => portOpen(port), options)
  await waitUntil(
    `the RocketMQ ${node} 127.0.0.1:${port} to register with the name server`,
    () => rocketmqBrokerRegistered(namesrv, port),
    options,
  )
}

function nodeIndex(state: BrokerState, node: ClusterNode): number {
  const index = state.processes.findIndex((x) => x.name === `rocketmq-${node}`)
  if (index < 0) throw new Error(`no process ${node} in this ${state.kind} instance`)
  return index
}

/** SIGKILL to one node of a rocketmq-cluster (the others keep running); its data stays. */
export async function killClusterNode(state: BrokerState, node: ClusterNode): Promise<void> {
  await killProcesses([state.processes[nodeIndex(state, node)]!])
}

export const rocketmqClusterLauncher: Launcher = {
  pom: 'rocketmq',
  version: ROCKETMQ_VERSION,
  prepare,
  afterStart,
}

// Apache Kafka in KRaft mode: kafka, kafka-sasl and kafka-tls are one combined broker+controller
// node; kafka-cluster is three combined nodes forming a controller quorum of three, so
// replication factor 3 and leader fail-over work. A static `controller.quorum.voters` list avoids
// the dynamic-quorum bootstrap (which would need `format --standalone`).
//
// The SASL and TLS variants keep a second, PLAINTEXT listener named INTERNAL for inter-broker
// traffic and for our readiness probe; clients bootstrap on CLIENT and only ever see CLIENT
// addresses in metadata (Kafka answers with the listener the request arrived on).
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { javaArgv, javaExecutable, log4j2Properties, propertiesText } from './jvm.ts'
import type { LaunchContext, Launcher, PreparedBroker } from './launcher.ts'
import { freePort } from './ports.ts'
import { kafkaMetadataBrokers } from './probe-kafka.ts'
import { waitUntil } from './ready.ts'
import { generateTls } from './tls.ts'
import type { BrokerState, ProcessSpec } from './types.ts'

export const KAFKA_VERSION = '4.3.1'
const READY_TIMEOUT_MS = 180_000

interface NodePorts {
  client: number
  internal?: number
  controller: number
}

function clusterId(): string {
  // Kafka's Uuid: 16 random bytes, base64url without padding; ids starting with '-' are avoided
  // because the storage tool's command line would read them as a flag.
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

function clientProtocol(kind: string): string {
  if (kind === 'kafka-sasl') return 'SASL_PLAINTEXT'
  if (kind === 'kafka-tls') return 'SSL'
  return 'PLAINTEXT'
}

async function prepare(context: LaunchContext): Promise<PreparedBroker> {
  const { kind, lib, workDir, dataDir, logDir } = context
  const nodeCount = kind === 'kafka-cluster' ? 3 : 1
  const secured = kind === 'kafka-sasl' || kind === 'kafka-tls'
  const nodes: NodePorts[] = []
  for (let i = 0; i < nodeCount; i++) {
    nodes.push({
      client: await freePort(),
      internal: secured ? await freePort() : undefined,
      controller: await freePort(),
    })
  }
  const voters = nodes.map((node, i) => `${i + 1}@127.0.0.1:${node.controller}`).join(',')
  const protocol = clientProtocol(kind)
  const log4j = join(workDir, 'log4j2.properties')
  writeFileSync(
    log4j,
    log4j2Properties('INFO', { 'kafka.request.logger': 'WARN', 'org.apache.kafka.clients': 'WARN' }),
  )

  const credentials: Record<string, string> = {}
  const extra: Record<string, string | number | boolean> = {}
  const formatFlags: string[] = []
  let tls: BrokerState['tls']
  if (kind === 'kafka-sasl') {
    credentials.username = 'conduit'
    credentials.password = randomBytes(9).toString('base64url')
    credentials.wrongPassword = 'not-' + credentials.password
    // A second PLAIN user whose password has the characters a URL must percent-encode (`:` and
    // `@` split user info, `%`, `/`, `?` and `#` end or escape parts of it), for the URL tests.
    credentials.specialUsername = 'conduit-special'
    credentials.specialPassword = `p:a@s%s/w?o#rd-${randomBytes(6).toString('hex')}`
    credentials.mechanisms = 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER'
    extra['sasl.enabled.mechanisms'] = credentials.mechanisms
    extra['listener.name.client.plain.sasl.jaas.config'] =
      'org.apache.kafka.common.security.plain.PlainLoginModule required ' +
      `user_${credentials.username}="${credentials.password}" ` +
      `user_${credentials.specialUsername}="${credentials.specialPassword}";`
    // OAUTHBEARER with Kafka's built-in unsecured-JWS validator (no sasl.server.callback.handler
    // configured): it accepts an `alg: none` JWS carrying `sub` and a future `exp`, and refuses a
    // malformed or expired one — enough to prove the client side of RFC 7628 on the real broker.
    extra['listener.name.client.oauthbearer.sasl.jaas.config'] =
      'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="admin";'
    for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
      extra[`listener.name.client.${mechanism.toLowerCase()}.sasl.jaas.config`] =
        'org.apache.kafka.common.security.scram.ScramLoginModule required;'
      formatFlags.push(
        '--add-scram',
        `${mechanism}=[name=${credentials.username},password=${credentials.password}]`,
      )
    }
  }
  if (kind === 'kafka-tls') {
    const generated = generateTls(join(workDir, 'tls'))
    tls = generated.material
    Object.assign(extra, {
      'ssl.keystore.location': generated.serverKeystore,
      'ssl.keystore.password': generated.storePassword,
      'ssl.key.password': generated.storePassword,
      'ssl.keystore.type': 'PKCS12',
      'ssl.truststore.location': generated.truststore,
      'ssl.truststore.password': generated.storePassword,
      'ssl.truststore.type': 'PKCS12',
      // Mutual TLS: a client must present a certificate signed by the generated CA (tls.cert/key);
      // one without is refused during the handshake.
      'ssl.client.auth': 'required',
    })
  }

  const id = clusterId()
  const specs: ProcessSpec[] = []
  await Promise.all(
    nodes.map(async (node, i) => {
      const nodeId = i + 1
      const logDirs = join(dataDir, `node-${nodeId}`)
      const config = join(workDir, `server-${nodeId}.properties`)
      const listeners = [`CLIENT://127.0.0.1:${node.client}`]
      if (node.internal) listeners.push(`INTERNAL://127.0.0.1:${node.internal}`)
      writeFileSync(
        config,
        propertiesText({
          'process.roles': 'broker,controller',
          'node.id': nodeId,
          'controller.quorum.voters': voters,
          listeners: [...listeners, `CONTROLLER://127.0.0.1:${node.controller}`].join(','),
          'advertised.listeners': listeners.join(','),
          'controller.listener.names': 'CONTROLLER',
          'inter.broker.listener.name': node.internal ? 'INTERNAL' : 'CLIENT',
          'listener.security.protocol.map': `CLIENT:${protocol},INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT`,
          'log.dirs': logDirs,
          'num.partitions': 1,
          'default.replication.factor': nodeCount,
          'min.insync.replicas': 1,
          'offsets.topic.replication.factor': nodeCount,
          'offsets.topic.num.partitions': 10,
          'transaction.state.log.replication.factor': nodeCount,
          'transaction.state.log.min.isr': 1,
          'transaction.state.log.num.partitions': 10,
          'share.coordinator.state.topic.replication.factor': nodeCount,
          'share.coordinator.state.topic.min.isr': 1,
          'group.initial.rebalance.delay.ms': 0,
          // After a SIGKILL the controller refuses the restarted broker's registration until the
          // old session expires (DUPLICATE_BROKER_REGISTRATION); a shorter session makes
          // restart and leader fail-over tests quicker.
          'broker.heartbeat.interval.ms': 1000,
          'broker.session.timeout.ms': 6000,
          'auto.create.topics.enable': true,
          'delete.topic.enable': true,
          'num.network.threads': 2,
          'num.io.threads': 4,
          'log.segment.bytes': 64 * 1024 * 1024,
          ...extra,
        }),
      )
      mkdirSync(logDirs, { recursive: true })
      await promisify(execFile)(
        javaExecutable(),
        [
          '-Xmx256m',
          `-Dlog4j2.configurationFile=${log4j}`,
          '-cp',
          join(lib, '*'),
          'kafka.tools.StorageTool',
          'format',
          '-t',
          id,
          '-c',
          config,
          ...formatFlags,
        ],
        { cwd: workDir },
      ).catch((error: Error & { stderr?: string; stdout?: string }) => {
        throw new Error(
          `kafka storage format failed for node ${nodeId}: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`,
        )
      })
      specs[i] = {
        name: `kafka-node-${nodeId}`,
        cwd: workDir,
        log: join(logDir, `kafka-node-${nodeId}.log`),
        argv: javaArgv({
          classpath: lib,
          main: 'kafka.Kafka',
          args: [config],
          heap: '512m',
          properties: { 'log4j2.configurationFile': log4j, 'kafka.logs.dir': logDir },
        }),
      }
    }),
  )

  const bootstrap = nodes.map((node) => `127.0.0.1:${node.client}`).join(',')
  const ports: Record<string, number> = {}
  nodes.forEach((node, i) => {
    const suffix = nodeCount > 1 ? `${i + 1}` : ''
    ports[`client${suffix}`] = node.client
    if (node.internal) ports[`internal${suffix}`] = node.internal
    ports[`controller${suffix}`] = node.controller
  })
  return {
    specs,
    state: {
      kind,
      version: `kafka ${KAFKA_VERSION}`,
      url: `kafka://${bootstrap}`,
      urls: { bootstrap },
      ...(Object.keys(credentials).length ? { credentials } : {}),
      ...(tls ? { tls } : {}),
      ports,
      workDir,
      dataDir,
      logDir,
    },
  }
}

/** Ports answering Metadata in PLAINTEXT: INTERNAL when there is one, CLIENT otherwise. */
function probePorts(state: BrokerState): number[] {
  return Object.entries(state.ports)
    .filter(([name]) =>
      name.startsWith(
        state.ports.internal !== undefined || state.ports.internal1 !== undefined ? 'internal' : 'client',
      ),
    )
    .map(([, port]) => port)
}

async function afterStart(state: BrokerState, index: number): Promise<void> {
  // The nodes of a cluster only become ready together (they need a controller quorum).
  const expected = expectedNodes(state)
  if (index + 1 < expected) return
  for (const port of probePorts(state)) {
    await waitUntil(
      `Kafka on 127.0.0.1:${port} to list ${expected} broker(s) in Metadata`,
      async () => (await kafkaMetadataBrokers(port)).length === expected,
      { timeoutMs: READY_TIMEOUT_MS, watch: state.processes },
    )
  }
}

function expectedNodes(state: BrokerState): number {
  return state.kind === 'kafka-cluster' ? 3 : 1
}

export const kafkaLauncher: Launcher = { pom: 'kafka', version: KAFKA_VERSION, prepare, afterStart }

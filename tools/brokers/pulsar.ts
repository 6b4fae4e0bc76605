// Apache Pulsar standalone (broker + one in-process bookie, RocksDB metadata), without the
// functions worker (-nfw) or stream storage (-nss). The WebSocket service is on; the transaction
// coordinator is off (see below); deduplication is off by default (tests turn it on per namespace).
// pulsar-auth adds JWT (HS256 secret key) authentication and authorization, plus a local OAuth2
// client-credentials server (oauth2-server.ts) issuing JWTs signed with that key; pulsar-tls adds
// TLS ports next to the plain ones, and those require a client certificate (mutual TLS).
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ProcessSpec } from './types.ts'
import { javaArgv, log4j2Properties, propertiesText } from './jvm.ts'
import { signHs256 } from './jwt.ts'
import type { LaunchContext, Launcher, PreparedBroker } from './launcher.ts'
import { freePort } from './ports.ts'
import { pulsarHandshake } from './probe-pulsar.ts'
import { httpOk, portOpen, waitUntil } from './ready.ts'
import { generateTls } from './tls.ts'
import type { BrokerState } from './types.ts'

export const PULSAR_VERSION = '4.0.7'
const READY_TIMEOUT_MS = 300_000

async function prepare(context: LaunchContext): Promise<PreparedBroker> {
  const { kind, lib, workDir, dataDir, logDir } = context
  const ports: Record<string, number> = {
    broker: await freePort(),
    web: await freePort(),
    bookie: await freePort(),
  }
  const config: Record<string, string | number | boolean> = {
    clusterName: 'standalone',
    bindAddress: '127.0.0.1',
    advertisedAddress: '127.0.0.1',
    brokerServicePort: ports.broker!,
    webServicePort: ports.web!,
    managedLedgerDefaultEnsembleSize: 1,
    managedLedgerDefaultWriteQuorum: 1,
    managedLedgerDefaultAckQuorum: 1,
    allowAutoTopicCreation: true,
    allowAutoTopicCreationType: 'non-partitioned',
    webSocketServiceEnabled: true,
    // Off: Conduit's Pulsar drivers do not use transactions, and with the coordinator on every new
    // topic first recovers its transaction buffer from __transaction_buffer_snapshot and dispatches
    // nothing until that ends — seen holding a partition back 20–30 s on a loaded machine (issue 6).
    transactionCoordinatorEnabled: false,
    brokerDeduplicationEnabled: false,
    systemTopicEnabled: true,
    topicLevelPoliciesEnabled: true,
    functionsWorkerEnabled: false,
    // Partial acks of a batched entry (ack_set) are kept by the broker, so they survive a reconnect.
    acknowledgmentAtBatchIndexLevelEnabled: true,
    // Fewer threads: the machine has two cores shared with the other brokers and the tests.
    numIOThreads: 2,
    // Jetty needs enough threads for its acceptors and selectors on every port (plain + TLS).
    numHttpServerThreads: 8,
    numExecutorThreadPoolSize: 2,
    managedLedgerNumSchedulerThreads: 2,
    bookkeeperClientNumWorkerThreads: 2,
    brokerShutdownTimeoutMs: 5000,
    // The standalone's in-process bookie reads its settings from this file too: keep it on loopback.
    listeningInterface: 'lo',
    allowLoopback: true,
  }
  const urls: Record<string, string> = {
    url: `pulsar://127.0.0.1:${ports.broker}`,
    admin: `http://127.0.0.1:${ports.web}`,
    ws: `ws://127.0.0.1:${ports.web}`,
  }
  let credentials: Record<string, string> | undefined
  let tls: BrokerState['tls']
  const sideProcesses: ProcessSpec[] = []

  if (kind === 'pulsar-auth') {
    const secret = randomBytes(32)
    const secretFile = join(workDir, 'token-secret.key')
    writeFileSync(secretFile, secret)
    const token = signHs256({ sub: 'admin' }, secret)
    credentials = {
      token,
      role: 'admin',
      // Same claims, signed with a different key: the broker must reject it.
      badToken: signHs256({ sub: 'admin' }, randomBytes(32)),
    }
    Object.assign(config, {
      authenticationEnabled: true,
      authenticationProviders: 'org.apache.pulsar.broker.authentication.AuthenticationProviderToken',
      authorizationEnabled: true,
      superUserRoles: 'admin',
      tokenSecretKey: `file://${secretFile}`,
      brokerClientAuthenticationPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
      brokerClientAuthenticationParameters: `token:${token}`,
      // How often the broker looks for expired client credentials and sends AUTH_CHALLENGE
      // (default 60 s): short, so the OAuth2 refresh test needs seconds, not minutes.
      authenticationRefreshCheckSeconds: 2,
    })
    ports.oauth2 = await freePort()
    const clients = {
      conduit: { secret: randomBytes(12).toString('hex'), subject: 'admin', ttlSeconds: 3600 },
      // Tokens that expire within seconds, to make the broker challenge a live connection.
      'conduit-short': { secret: randomBytes(12).toString('hex'), subject: 'admin', ttlSeconds: 6 },
    }
    const clientsFile = join(workDir, 'oauth2-clients.json')
    writeFileSync(clientsFile, JSON.stringify(clients))
    urls.oauth2Issuer = `http://127.0.0.1:${ports.oauth2}`
    Object.assign(credentials, {
      oauth2ClientId: 'conduit',
      oauth2ClientSecret: clients.conduit.secret,
      oauth2ShortClientId: 'conduit-short',
      oauth2ShortClientSecret: clients['conduit-short'].secret,
    })
    sideProcesses.push({
      name: OAUTH2_PROCESS,
      cwd: workDir,
      log: join(logDir, 'oauth2-server.log'),
      argv: [
        process.execPath,
        join(import.meta.dirname, 'oauth2-server.ts'),
        String(ports.oauth2),
        secretFile,
        clientsFile,
      ],
    })
  }
  if (kind === 'pulsar-tls') {
    ports.brokerTls = await freePort()
    ports.webTls = await freePort()
    const generated = generateTls(join(workDir, 'tls'))
    tls = generated.material
    Object.assign(config, {
      brokerServicePortTls: ports.brokerTls,
      webServicePortTls: ports.webTls,
      tlsCertificateFilePath: join(generated.dir, 'server.pem'),
      tlsKeyFilePath: join(generated.dir, 'server.key'),
      tlsTrustCertsFilePath: join(generated.dir, 'ca.pem'),
      tlsAllowInsecureConnection: false,
      // Mutual TLS on pulsar+ssl://, https:// and wss://: a client without a certificate signed
      // by the generated CA (tls.cert/key) is refused in the handshake.
      tlsRequireTrustedClientCertOnConnect: true,
    })
    Object.assign(urls, {
      tlsUrl: `pulsar+ssl://127.0.0.1:${ports.brokerTls}`,
      adminTls: `https://127.0.0.1:${ports.webTls}`,
      wss: `wss://127.0.0.1:${ports.webTls}`,
    })
  }

  const configFile = join(workDir, 'standalone.conf')
  writeFileSync(configFile, propertiesText(config))
  const log4j = join(workDir, 'log4j2.properties')
  writeFileSync(
    log4j,
    log4j2Properties('INFO', {
      'org.apache.bookkeeper': 'WARN',
      'org.apache.zookeeper': 'WARN',
      'org.eclipse.jetty': 'WARN',
    }),
  )

  return {
    specs: [
      // Side processes first: they are ready in a moment and the broker's readiness is the last wait.
      ...sideProcesses,
      {
        name: 'pulsar-standalone',
        cwd: dataDir,
        log: join(logDir, 'pulsar-standalone.log'),
        argv: javaArgv({
          classpath: lib,
          main: 'org.apache.pulsar.PulsarStandaloneStarter',
          args: [
            '--config',
            configFile,
            '-nfw',
            '-nss',
            '-a',
            '127.0.0.1',
            '--bookkeeper-port',
            String(ports.bookie),
            '--bookkeeper-dir',
            join(dataDir, 'bookkeeper'),
            '--metadata-dir',
            join(dataDir, 'metadata'),
          ],
          heap: '1g',
          directMemory: '1g',
          properties: {
            'log4j2.configurationFile': log4j,
            'pulsar.log.dir': logDir,
            // Netty would otherwise size its pools for many cores.
            'io.netty.eventLoopThreads': '4',
          },
          extraFlags: [
            '--add-opens',
            'java.base/java.lang=ALL-UNNAMED',
            '--add-opens',
            'java.base/sun.net=ALL-UNNAMED',
            '--add-opens',
            'java.management/sun.management=ALL-UNNAMED',
            '--add-opens',
            'jdk.management/com.sun.management.internal=ALL-UNNAMED',
          ],
        }),
      },
    ],
    state: {
      kind,
      version: `pulsar ${PULSAR_VERSION}`,
      url: urls.url!,
      urls,
      ...(credentials ? { credentials } : {}),
      ...(tls ? { tls } : {}),
      ports,
      workDir,
      dataDir,
      logDir,
    },
  }
}

const OAUTH2_PROCESS = 'oauth2-server'

async function afterStart(state: BrokerState, index: number): Promise<void> {
  if (state.processes[index]?.name === OAUTH2_PROCESS) {
    await waitUntil(
      'the OAuth2 server (GET /.well-known/openid-configuration)',
      () => httpOk(`${state.urls.oauth2Issuer}/.well-known/openid-configuration`, {}),
      { timeoutMs: 30_000, watch: state.processes, intervalMs: 200 },
    )
    return
  }
  const headers: Record<string, string> = state.credentials?.token
    ? { authorization: `Bearer ${state.credentials.token}` }
    : {}
  const options = { timeoutMs: READY_TIMEOUT_MS, watch: state.processes, intervalMs: 500 }
  // The admin API answers once the broker service, the metadata store and the default cluster
  // are up; the namespace check proves the standalone's default namespaces were created.
  await waitUntil(
    'the Pulsar admin API (GET /admin/v2/clusters and public/default)',
    async () =>
      (await httpOk(`${state.urls.admin}/admin/v2/clusters`, headers)) &&
      (await httpOk(`${state.urls.admin}/admin/v2/namespaces/public/default`, headers)),
    options,
  )
  await waitUntil(
    `the Pulsar binary port ${state.ports.broker}`,
    () => portOpen(state.ports.broker!),
    options,
  )
  if (state.ports.brokerTls) {
    await waitUntil(
      `the Pulsar TLS port ${state.ports.brokerTls}`,
      () => portOpen(state.ports.brokerTls!),
      options,
    )
  }
}

export const pulsarLauncher: Launcher = { pom: 'pulsar', version: PULSAR_VERSION, prepare, afterStart }

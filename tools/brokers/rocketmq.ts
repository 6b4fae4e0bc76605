// Apache RocketMQ 5.3.3: a name server and one master broker. rocketmq-acl turns on the broker's
// authentication and authorization with one super user; clients sign requests with HMAC-SHA1 of
// their access/secret key. rocketmq-tls serves the remoting protocol over TLS only (enforcing) on
// the broker, with a certificate from tools/brokers/tls.ts; the name server accepts both
// (permissive), and the broker registers with it over TLS.
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { javaArgv, propertiesText } from './jvm.ts'
import type { LaunchContext, Launcher, PreparedBroker } from './launcher.ts'
import { freePort } from './ports.ts'
import { generateTls } from './tls.ts'
import { portOpen, waitUntil } from './ready.ts'
import { rocketmqBrokerRegistered } from './probe-rocketmq.ts'
import type { BrokerState } from './types.ts'

export const ROCKETMQ_VERSION = '5.3.3'
const READY_TIMEOUT_MS = 180_000

// What RocketMQ needs to run on Java 17 (it reaches into NIO internals for mmap'd files).
export const JAVA17_FLAGS = [
  '--add-opens',
  'java.base/java.lang=ALL-UNNAMED',
  '--add-opens',
  'java.base/java.nio=ALL-UNNAMED',
  '--add-opens',
  'java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-exports',
  'java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-exports',
  'java.base/jdk.internal.ref=ALL-UNNAMED',
]

async function prepare(context: LaunchContext): Promise<PreparedBroker> {
  const { kind, lib, workDir, dataDir, logDir } = context
  // The broker binds listenPort, listenPort - 2 (the "VIP" channel) and listenPort + 1 (HA).
  const ports: Record<string, number> = { namesrv: await freePort(), broker: await freePort([-2, 1]) }
  const home = join(workDir, 'home')
  mkdirSync(join(home, 'conf'), { recursive: true })
  const namesrvConf = join(workDir, 'namesrv.conf')
  writeFileSync(namesrvConf, propertiesText({ listenPort: ports.namesrv!, bindAddress: '127.0.0.1' }))

  let credentials: Record<string, string> | undefined
  const auth: Record<string, string | boolean> = {}
  if (kind === 'rocketmq-acl') {
    credentials = {
      accessKey: 'conduit' + randomBytes(4).toString('hex'),
      secretKey: randomBytes(12).toString('hex'),
      wrongAccessKey: 'nobody' + randomBytes(4).toString('hex'),
      wrongSecretKey: randomBytes(12).toString('hex'),
    }
    // RocketMQ 5.3 replaced the plain_acl.yml ACL (1.0) with pluggable authentication and
    // authorization ("ACL 2.0"); clients sign requests exactly as before (HMAC-SHA1 of the
    // sorted request fields with the secret key). The initial user is a super user.
    Object.assign(auth, {
      authenticationEnabled: true,
      authenticationProvider:
        'org.apache.rocketmq.auth.authentication.provider.DefaultAuthenticationProvider',
      authenticationMetadataProvider:
        'org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider',
      authorizationEnabled: true,
      authorizationProvider: 'org.apache.rocketmq.auth.authorization.provider.DefaultAuthorizationProvider',
      authorizationMetadataProvider:
        'org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider',
      authConfigPath: join(dataDir, 'auth'),
      initAuthenticationUser: JSON.stringify({
        username: credentials.accessKey,
        password: credentials.secretKey,
      }),
      innerClientAuthenticationCredentials: JSON.stringify({
        accessKey: credentials.accessKey,
        secretKey: credentials.secretKey,
      }),
    })
  }

  // Remoting TLS is configured by JVM system properties (TlsSystemConfig). Test mode, on by
  // default, would serve a self-signed certificate instead of ours.
  let tls: BrokerState['tls']
  let namesrvTls: Record<string, string> = {}
  let brokerTls: Record<string, string> = {}
  if (kind === 'rocketmq-tls') {
    const generated = generateTls(join(workDir, 'tls'))
    tls = { ca: generated.material.ca }
    const server = {
      'tls.test.mode.enable': 'false',
      'tls.server.certPath': join(generated.dir, 'server.pem'),
      'tls.server.keyPath': join(generated.dir, 'server.key'),
      'tls.server.need.client.auth': 'none',
      'tls.config.file': join(generated.dir, 'tls.properties'),
    }
    namesrvTls = { ...server, 'tls.server.mode': 'permissive' }
    brokerTls = { ...server, 'tls.server.mode': 'enforcing', 'tls.enable': 'true' }
  }

  const brokerConf = join(workDir, 'broker.conf')
  writeFileSync(
    brokerConf,
    propertiesText({
      brokerClusterName: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerId: 0,
      brokerRole: 'ASYNC_MASTER',
      flushDiskType: 'ASYNC_FLUSH',
      namesrvAddr: `127.0.0.1:${ports.namesrv}`,
      brokerIP1: '127.0.0.1',
      listenPort: ports.broker!,
      bindAddress: '127.0.0.1',
      storePathRootDir: join(dataDir, 'store'),
      storePathCommitLog: join(dataDir, 'store', 'commitlog'),
      autoCreateTopicEnable: true,
      autoCreateSubscriptionGroup: true,
      enablePropertyFilter: true,
      traceTopicEnable: false,
      mappedFileSizeCommitLog: 104857600,
      mappedFileSizeConsumeQueue: 300000,
      maxIndexNum: 1000,
      maxHashSlotNum: 4000,
      // A test machine's disk is often fuller than a production broker allows.
      diskMaxUsedSpaceRatio: 95,
      ...auth,
    }),
  )

  const properties = { 'rocketmq.home.dir': home, 'user.home': workDir, 'rocketmq.client.logRoot': logDir }
  return {
    specs: [
      {
        name: 'rocketmq-namesrv',
        cwd: workDir,
        log: join(logDir, 'rocketmq-namesrv.log'),
        argv: javaArgv({
          classpath: lib,
          main: 'org.apache.rocketmq.namesrv.NamesrvStartup',
          args: ['-c', namesrvConf],
          heap: '256m',
          directMemory: '128m',
          properties: { ...properties, ...namesrvTls },
          extraFlags: JAVA17_FLAGS,
        }),
      },
      {
        name: 'rocketmq-broker',
        cwd: workDir,
        log: join(logDir, 'rocketmq-broker.log'),
        argv: javaArgv({
          classpath: lib,
          main: 'org.apache.rocketmq.broker.BrokerStartup',
          args: ['-c', brokerConf],
          heap: '512m',
          directMemory: '512m',
          properties: { ...properties, ...brokerTls },
          extraFlags: JAVA17_FLAGS,
        }),
      },
    ],
    state: {
      kind,
      version: `rocketmq ${ROCKETMQ_VERSION}`,
      url: `rocketmq://127.0.0.1:${ports.namesrv}`,
      urls: { namesrv: `127.0.0.1:${ports.namesrv}`, broker: `127.0.0.1:${ports.broker}` },
      ...(credentials ? { credentials } : {}),
      ...(tls ? { tls } : {}),
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
  const broker = state.ports.broker!
  if (index === 0) {
    await waitUntil(`the RocketMQ name server port ${namesrv}`, () => portOpen(namesrv), options)
    return
  }
  await waitUntil(`the RocketMQ broker port ${broker}`, () => portOpen(broker), options)
  await waitUntil(
    `the RocketMQ broker 127.0.0.1:${broker} to register with the name server`,
    () => rocketmqBrokerRegistered(namesrv, broker),
    options,
  )
}

export const rocketmqLauncher: Launcher = { pom: 'rocketmq', version: ROCKETMQ_VERSION, prepare, afterStart }

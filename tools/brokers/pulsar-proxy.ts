// An Apache Pulsar proxy (org.apache.pulsar.proxy.server.ProxyServiceStarter) in front of a running
// Pulsar broker, for tests of the client's proxy support: the proxy is given the broker's service
// and web URLs (no metadata store), answers LOOKUP and PARTITIONED_METADATA itself by asking the
// broker, and forwards connections whose CONNECT names a broker (proxy_to_broker_url).
//
// It is not a broker kind of its own: a test starts one against the shared standalone
// (`useBroker('pulsar')`) with startPulsarProxy(), which takes a few seconds, and stops it at the
// end. The process is owned like an exclusive broker (owner.ts), so it never outlives the test
// process, even when that one is SIGKILLed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { workRoot } from './cache.ts'
import { javaArgv, log4j2Properties, propertiesText } from './jvm.ts'
import { brokerClasspath } from './maven.ts'
import { ownBroker, releaseBroker } from './owner.ts'
import { freePort } from './ports.ts'
import { requireJava } from './prerequisites.ts'
import { pulsarHandshake } from './probe-pulsar.ts'
import { killProcessesNow, spawnProcess, stopProcesses } from './processes.ts'
import { httpOk, waitUntil } from './ready.ts'
import type { BrokerState } from './types.ts'

/** 4.0.7 of the proxy is not on Maven Central; 4.0.8 speaks the same protocol (see poms/pulsar-proxy.xml). */
export const PULSAR_PROXY_VERSION = '4.0.8'
const READY_TIMEOUT_MS = 120_000

export interface PulsarProxyTarget {
  /** The broker's binary service URL, `pulsar://host:port`. */
  url: string
  /** The broker's admin (web service) URL, `http://host:port`. */
  admin: string
}

export interface PulsarProxy {
  /** `pulsar://127.0.0.1:<port>` of the proxy. */
  url: string
  /** The proxy's own web port (it forwards the admin REST API to the broker). */
  admin: string
  /** Wall time from spawn to ready. */
  startupMs: number
  logFile: string
  stop(): Promise<void>
}

/** Fetches (once per machine) the proxy's class path. */
export function fetchPulsarProxy(): Promise<string> {
  requireJava()
  return brokerClasspath('pulsar-proxy')
}

export async function startPulsarProxy(target: PulsarProxyTarget): Promise<PulsarProxy> {
  const lib = await fetchPulsarProxy()
  mkdirSync(workRoot(), { recursive: true })
  const workDir = mkdtempSync(join(workRoot(), 'pulsar-proxy-'))
  const logDir = join(workDir, 'logs')
  mkdirSync(logDir, { recursive: true })
  const ports = { proxy: await freePort(), web: await freePort() }
  const configFile = join(workDir, 'proxy.conf')
  writeFileSync(
    configFile,
    propertiesText({
      // No metadata store: every lookup goes to the broker named here.
      metadataStoreUrl: '',
      configurationMetadataStoreUrl: '',
      brokerServiceURL: target.url,
      brokerWebServiceURL: target.admin,
      clusterName: 'standalone',
      bindAddress: '127.0.0.1',
      advertisedAddress: '127.0.0.1',
      servicePort: ports.proxy,
      webServicePort: ports.web,
      // The broker listens on a random port; by default the proxy forwards to 6650/6651 only.
      brokerProxyAllowedTargetPorts: '*',
      authenticationEnabled: false,
      authorizationEnabled: false,
      // The machine has two cores shared with the brokers and the tests.
      numIOThreads: 2,
      numAcceptorThreads: 1,
      httpNumThreads: 8,
    }),
  )
  const log4j = join(workDir, 'log4j2.properties')
  writeFileSync(log4j, log4j2Properties('INFO', { 'org.eclipse.jetty': 'WARN' }))
  const spec = {
    name: 'pulsar-proxy',
    cwd: workDir,
    log: join(logDir, 'pulsar-proxy.log'),
    argv: javaArgv({
      classpath: lib,
      main: 'org.apache.pulsar.proxy.server.ProxyServiceStarter',
      args: ['--config', configFile],
      heap: '256m',
      directMemory: '256m',
      properties: {
        'log4j2.configurationFile': log4j,
        'pulsar.log.dir': logDir,
        'io.netty.eventLoopThreads': '2',
      },
    }),
  }
  const started = Date.now()
  const state: BrokerState = {
    // Owned like a broker so owner.ts and its watchdog clean it up; it is not a kind of its own.
    kind: 'pulsar',
    version: `pulsar-proxy ${PULSAR_PROXY_VERSION}`,
    url: `pulsar://127.0.0.1:${ports.proxy}`,
    urls: { url: `pulsar://127.0.0.1:${ports.proxy}`, admin: `http://127.0.0.1:${ports.web}` },
    ports,
    workDir,
    dataDir: workDir,
    logDir,
    processes: [],
    startedAt: new Date(started).toISOString(),
    startupMs: 0,
  }
  try {
    state.processes.push(spawnProcess(spec))
    ownBroker(state)
    const options = { timeoutMs: READY_TIMEOUT_MS, watch: state.processes, intervalMs: 250 }
    // CONNECTED from the proxy itself, then a REST call it forwards to the broker.
    await waitUntil(`the Pulsar proxy port ${ports.proxy}`, () => pulsarHandshake(ports.proxy), options)
    await waitUntil(
      'the Pulsar proxy web port (GET /admin/v2/clusters, forwarded to the broker)',
      () => httpOk(`${state.urls.admin}/admin/v2/clusters`),
      options,
    )
  } catch (error) {
    killProcessesNow(state.processes)
    releaseBroker(state)
    if (!process.env.CONDUIT_KEEP_BROKER_LOGS) rmSync(workDir, { recursive: true, force: true })
    throw error
  }
  state.startupMs = Date.now() - started
  let stopped = false
  return {
    url: state.url,
    admin: state.urls.admin!,
    startupMs: state.startupMs,
    logFile: spec.log,
    async stop() {
      if (stopped) return
      stopped = true
      await stopProcesses(state.processes, 10_000)
      releaseBroker(state)
      rmSync(workDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 })
    },
  }
}

// The brokers' official Java clients (tools/interop), for interoperability tests: what Conduit
// writes, the official client must read, and the other way round. Built with Maven into the cache
// (never the repository) on first use; the build is keyed by a hash of the sources, so an edit
// rebuilds and concurrent test processes share one build.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cacheRoot } from '../../tools/brokers/cache.ts'
import { javaExecutable } from '../../tools/brokers/jvm.ts'
import { requireJava, requireMaven } from '../../tools/brokers/prerequisites.ts'

const INTEROP_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tools', 'interop')

export type InteropBroker = 'kafka' | 'pulsar' | 'rocketmq'
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd' | 'zlib'

export interface InteropMessage {
  key?: string | null
  /** Text, or bytes (sent exactly, as base64 on the way to the Java program). */
  value: string | Uint8Array
  headers?: Record<string, string>
}

export interface InteropOptions {
  /** kafka://…, pulsar://… or pulsar+ssl://…, rocketmq://… */
  url: string
  topic: string
  /** Defaults from the URL's scheme. */
  broker?: InteropBroker
  timeoutMs?: number
  group?: string
  /** PEM text of the CA to trust (TLS brokers). */
  ca?: string
  /** Kafka SASL: mechanism PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512. */
  sasl?: { mechanism: string; username: string; password: string }
  /** Pulsar JWT. */
  token?: string
  /** RocketMQ ACL. */
  accessKey?: string
  secretKey?: string
  /** RocketMQ tag (produce: set on each message; consume: subscription expression). */
  tag?: string
  /** RocketMQ: one queue per key (produce) / orderly listener (consume). */
  ordered?: boolean
  /** Anything else, passed as `--name value`. */
  extraArgs?: string[]
}

export interface JavaProduceOptions extends InteropOptions {
  /** Generated messages (key k-<i>, value v-<i>, header i=<i>) when `messages` is not given. */
  count?: number
  messages?: InteropMessage[]
  compression?: Compression
  batch?: boolean
  /** Kafka: commit | rollback; RocketMQ: commit | rollback | check. */
  transactional?: 'commit' | 'rollback' | 'check'
  /** Pulsar: event time (ms) set on every message. */
  eventTime?: number
  /** Pulsar: chunk values larger than `chunkSize` bytes (default 1024); turns batching off. */
  chunking?: boolean
  chunkSize?: number
}

export interface JavaConsumeOptions extends InteropOptions {
  count: number
  from?: 'earliest' | 'latest'
  /** Pulsar subscription type. */
  subscriptionType?: 'exclusive' | 'shared' | 'failover' | 'key_shared'
  /** Pulsar: read with a Reader starting at this id (the Java client's MessageId.toByteArray bytes). */
  startMessageId?: Uint8Array
  /** Pulsar: with `startMessageId`, deliver that message too. Default false. */
  startInclusive?: boolean
}

/** One line of `conduit consume --format json`, plus `id` where the broker has message ids. */
export interface JsonMessage {
  topic: string
  partition: number
  offset: number | null
  key: string | null
  value: string | null
  encoding?: 'base64'
  headers: Record<string, string>
  timestamp: number
  id?: string
  [extra: string]: unknown
}

/** What the Java producer printed per acknowledged send. */
export interface JavaSendResult {
  partition: number
  offset?: number
  messageId?: string
  [extra: string]: unknown
}

let build: Promise<string> | undefined

/** Compiles tools/interop (once per source hash) and returns the class path. */
export function buildInterop(): Promise<string> {
  build ??= buildOnce().catch((error: unknown) => {
    build = undefined
    throw error
  })
  return build
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && (entry.name.endsWith('.java') || entry.name === 'pom.xml'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !relative(INTEROP_DIR, file).startsWith('target'))
    .sort()
}

async function buildOnce(): Promise<string> {
  const hash = createHash('sha256')
  for (const file of sourceFiles(INTEROP_DIR))
    hash.update(relative(INTEROP_DIR, file)).update(readFileSync(file))
  const dir = join(cacheRoot(), 'interop', hash.digest('hex').slice(0, 12))
  const classpath = `${join(dir, 'classes')}:${join(dir, 'lib', '*')}`
  if (existsSync(join(dir, '.complete'))) return classpath
  requireJava()
  requireMaven()
  mkdirSync(dirname(dir), { recursive: true })
  const staging = `${dir}.${process.pid}.${Date.now()}`
  const { code, stdout, stderr } = await run('mvn', [
    '-B',
    '-q',
    '-f',
    join(INTEROP_DIR, 'pom.xml'),
    `-Dinterop.buildDir=${staging}`,
    'compile',
    'dependency:copy-dependencies',
    `-DoutputDirectory=${join(staging, 'lib')}`,
    '-DincludeScope=runtime',
  ])
  if (code !== 0) {
    rmSync(staging, { recursive: true, force: true })
    throw new Error(
      `building tools/interop with Maven failed (exit ${code}):\n${(stdout + stderr).slice(-4000)}`,
    )
  }
  writeFileSync(join(staging, '.complete'), new Date().toISOString())
  try {
    renameSync(staging, dir)
  } catch (error) {
    rmSync(staging, { recursive: true, force: true })
    if (!existsSync(join(dir, '.complete'))) throw error
  }
  return classpath
}

function run(
  command: string,
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    child.on('error', reject)
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    )
    child.stdin.on('error', () => {}) // the program may exit before reading everything
    child.stdin.end(input ?? '')
  })
}

function brokerOf(options: InteropOptions): InteropBroker {
  if (options.broker) return options.broker
  const scheme = options.url.slice(0, options.url.indexOf('://'))
  if (scheme.startsWith('kafka')) return 'kafka'
  if (scheme.startsWith('pulsar')) return 'pulsar'
  if (scheme.startsWith('rocketmq')) return 'rocketmq'
  throw new Error(`cannot tell the broker from URL '${options.url}'; pass { broker }`)
}

async function runJava(
  action: 'produce' | 'consume',
  options: InteropOptions,
  flags: string[],
  input?: string,
): Promise<{ lines: Record<string, unknown>[]; code: number; stderr: string }> {
  const classpath = await buildInterop()
  const broker = brokerOf(options)
  const temp = mkdtempSync(join(tmpdir(), 'conduit-interop-'))
  try {
    const args = [...flags, '--url', options.url, '--topic', options.topic]
    if (options.timeoutMs !== undefined) args.push('--timeout-ms', String(options.timeoutMs))
    if (options.group) args.push('--group', options.group)
    if (options.ca) {
      const caFile = join(temp, 'ca.pem')
      writeFileSync(caFile, options.ca)
      args.push('--ca-file', caFile)
    }
    if (options.sasl)
      args.push('--sasl', `${options.sasl.mechanism}:${options.sasl.username}:${options.sasl.password}`)
    if (options.token) args.push('--token', options.token)
    if (options.accessKey)
      args.push('--access-key', options.accessKey, '--secret-key', options.secretKey ?? '')
    if (options.tag) args.push('--tag', options.tag)
    if (options.ordered) args.push('--ordered')
    args.push(...(options.extraArgs ?? []))
    const { code, stdout, stderr } = await run(
      javaExecutable(),
      [
        '-Xmx256m',
        '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
        // Group joins and fetch positions, so a consumer that times out shows how far it got.
        '-Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients.consumer.internals=info',
        // RocketMQ's push consumer otherwise waits up to 20 s before its first rebalance.
        '-Drocketmq.client.rebalance.waitInterval=1000',
        `-Drocketmq.client.logRoot=${temp}`,
        '-cp',
        classpath,
        'conduit.interop.Main',
        broker,
        action,
        ...args,
      ],
      input,
    )
    const lines = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    return { lines, code, stderr }
  } finally {
    rmSync(temp, { recursive: true, force: true })
  }
}

/** Produces with the official client; resolves with one result per acknowledged message. */
export async function javaProduce(options: JavaProduceOptions): Promise<JavaSendResult[]> {
  const flags = [
    '--compression',
    options.compression ?? 'none',
    '--batch',
    options.batch === false ? 'off' : 'on',
  ]
  if (options.transactional) flags.push('--transactional', options.transactional)
  if (options.eventTime !== undefined) flags.push('--event-time', String(options.eventTime))
  if (options.chunking) flags.push('--chunking', 'on', '--chunk-size', String(options.chunkSize ?? 1024))
  let input: string | undefined
  if (options.messages) {
    flags.push('--stdin', '--count', String(options.messages.length))
    input = options.messages
      .map((m) =>
        JSON.stringify(
          typeof m.value === 'string'
            ? { key: m.key ?? null, value: m.value, headers: m.headers ?? {} }
            : {
                key: m.key ?? null,
                value: Buffer.from(m.value).toString('base64'),
                encoding: 'base64',
                headers: m.headers ?? {},
              },
        ),
      )
      .join('\n')
  } else {
    flags.push('--count', String(options.count ?? 1))
  }
  const expected = options.messages?.length ?? options.count ?? 1
  const { lines, code, stderr } = await runJava('produce', options, flags, input)
  if (code !== 0 || lines.length !== expected) {
    throw new Error(
      `official ${brokerOf(options)} producer: exit ${code}, ${lines.length} of ${expected} sends acknowledged\n${stderr.slice(-3000)}`,
    )
  }
  return lines as JavaSendResult[]
}

/** Consumes `count` messages with the official client, or rejects saying how many arrived in time. */
export async function javaConsume(options: JavaConsumeOptions): Promise<JsonMessage[]> {
  const flags = ['--count', String(options.count), '--from', options.from ?? 'earliest']
  if (options.subscriptionType) flags.push('--subscription-type', options.subscriptionType)
  if (options.startMessageId) {
    flags.push('--start-message-id', Buffer.from(options.startMessageId).toString('base64'))
    if (options.startInclusive) flags.push('--start-inclusive', 'on')
  }
  const { lines, code, stderr } = await runJava('consume', options, flags)
  if (code !== 0) {
    throw new Error(
      `official ${brokerOf(options)} consumer: exit ${code}${code === 2 ? ' (timed out)' : ''}, received ${lines.length} of ${options.count} messages\n${stderr.slice(-3000)}`,
    )
  }
  return lines as JsonMessage[]
}

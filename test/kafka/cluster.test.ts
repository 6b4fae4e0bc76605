import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, ConnectionError } from '../../src/core/errors.ts'
import { KafkaCluster, parseBrokerList, type ClusterOptions } from '../../src/kafka/cluster.ts'
import { clusterOptionsFrom } from '../../src/kafka/client-options.ts'
import { ApiKey } from '../../src/kafka/protocol/index.ts'
import { startFakeBroker } from './fake-broker.ts'

const base = (port: number): ClusterOptions => ({
  bootstrap: [{ host: '127.0.0.1', port }],
  clientId: 'unit',
  connectTimeoutMs: 1000,
  requestTimeoutMs: 1000,
  metadataMaxAgeMs: 60_000,
  maxInFlight: 4,
  maxFrameBytes: 1 << 20,
  reconnectInitialMs: 500,
  reconnectMaxMs: 1000,
  allowAutoTopicCreation: false,
})

void test('broker lists: several addresses, IPv6 with and without ports, default port', () => {
  assert.deepEqual(parseBrokerList('a:1, b:2,[::1]:9093,c'), [
    { host: 'a', port: 1 },
    { host: 'b', port: 2 },
    { host: '::1', port: 9093 },
    { host: 'c', port: 9092 },
  ])
  assert.deepEqual(parseBrokerList('fe80::1'), [{ host: 'fe80::1', port: 9092 }])
  assert.throws(() => parseBrokerList('h:99999'), ConfigError)
})

void test('URLs and options: kafka+ssl turns TLS on, user info and ?sasl= pick SASL, bad values are ConfigError', () => {
  const o = clusterOptionsFrom('kafka+ssl://u%40x:p%3Aw@h1:1,h2:2?sasl=scram-sha-256', {})
  assert.equal(o.tls, true)
  assert.equal(o.sasl?.name, 'SCRAM-SHA-256')
  assert.equal(o.bootstrap.length, 2)
  assert.throws(() => clusterOptionsFrom('http://h:1', {}), ConfigError)
  assert.throws(() => clusterOptionsFrom('kafka://h:1', { requestTimeoutMs: -5 }), ConfigError)
  assert.throws(
    () => clusterOptionsFrom('kafka://h:1', { sasl: { mechanism: 'gssapi' as never } }),
    ConfigError,
  )
  assert.throws(() => clusterOptionsFrom('kafka://h:1', { mapAddress: 3 as never }), ConfigError)
})

void test('dead-connection cool-down: a node that just failed returns its last error without reconnecting', async () => {
  let connects = 0
  const broker = await startFakeBroker(
    { [ApiKey.ApiVersions]: [0, 4], [ApiKey.Metadata]: [4, 12] },
    () => undefined,
  )
  const port = broker.port
  await broker.close()
  const cluster = new KafkaCluster({
    ...base(port),
    mapAddress: (host, p) => {
      connects++
      return { host, port: p }
    },
  })
  cluster.brokers.set(1, { nodeId: 1, host: '127.0.0.1', port, rack: null })
  const first = await cluster.connection(1, 'produce').catch((e: unknown) => e)
  assert.ok(first instanceof ConnectionError)
  const second = await cluster.connection(1, 'produce').catch((e: unknown) => e)
  assert.equal(second, first, 'the same error, at once')
  assert.equal(connects, 1, 'no second connect attempt inside the cool-down')
  await new Promise((r) => setTimeout(r, 600))
  await cluster.connection(1, 'produce').catch(() => undefined)
  assert.equal(connects, 2, 'after the cool-down it tries again')
  await cluster.close()
})

void test('bootstrap falls through to the next address and metadata fills the broker table', async () => {
  const broker = await startFakeBroker(
    { [ApiKey.ApiVersions]: [0, 4], [ApiKey.Metadata]: [4, 12] },
    (_h, _b, reply) =>
      reply({
        throttleTimeMs: 0,
        brokers: [{ nodeId: 7, host: '127.0.0.1', port: 1234, rack: 'r1' }],
        clusterId: 'cid',
        controllerId: 7,
        topics: [],
      }),
  )
  const dead = await startFakeBroker({}, () => undefined)
  const deadPort = dead.port
  await dead.close()
  const cluster = new KafkaCluster({
    ...base(broker.port),
    bootstrap: [
      { host: '127.0.0.1', port: deadPort },
      { host: '127.0.0.1', port: broker.port },
    ],
  })
  await cluster.connect()
  assert.equal(cluster.clusterId, 'cid')
  assert.deepEqual(cluster.brokers.get(7), { nodeId: 7, host: '127.0.0.1', port: 1234, rack: 'r1' })
  await cluster.close()
  await broker.close()
})

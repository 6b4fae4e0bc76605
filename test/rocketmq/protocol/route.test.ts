import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProtocolError } from '../../../src/core/errors.ts'
import {
  decodeClusterInfo,
  decodeTopicRoute,
  masterAddress,
  readQueues,
  writeQueues,
} from '../../../src/rocketmq/protocol/route.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

void test('decodes a name-server route (fastjson numeric keys) and lists queues in a stable order', () => {
  const route = decodeTopicRoute(
    enc(
      '{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.2:10911",1:"10.0.0.3:10911"},"brokerName":"b","cluster":"C"},{"brokerAddrs":{0:"10.0.0.1:10911"},"brokerName":"a","cluster":"C"}],' +
        '"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":2,"topicSysFlag":0,"writeQueueNums":2},{"brokerName":"a","perm":4,"readQueueNums":3,"topicSysFlag":0,"writeQueueNums":3}]}',
    ),
  )
  assert.equal(masterAddress(route, 'b'), '10.0.0.2:10911')
  assert.equal(route.brokers[0]!.brokerAddrs.get(1), '10.0.0.3:10911')
  assert.deepEqual(
    readQueues('t', route).map((q) => `${q.brokerName}${q.queueId}`),
    ['a0', 'a1', 'a2', 'b0', 'b1'],
  )
  // Broker a is read-only (perm 4): no writable queues there.
  assert.deepEqual(
    writeQueues('t', route).map((q) => `${q.brokerName}${q.queueId}`),
    ['b0', 'b1'],
  )
})

void test('malformed routes and cluster info are ProtocolErrors', () => {
  assert.throws(() => decodeTopicRoute(enc('{"brokerDatas":{}}')), ProtocolError)
  assert.throws(
    () => decodeTopicRoute(enc('{"brokerDatas":[{"brokerName":1}],"queueDatas":[]}')),
    ProtocolError,
  )
  assert.throws(() => decodeTopicRoute(null), ProtocolError)
  const info = decodeClusterInfo(
    enc(
      '{"brokerAddrTable":{"a":{"brokerAddrs":{0:"h:1"},"brokerName":"a","cluster":"C"}},"clusterAddrTable":{"C":["a"]}}',
    ),
  )
  assert.equal(info.brokers.get('a')!.brokerAddrs.get(0), 'h:1')
  assert.deepEqual(info.clusters.get('C'), ['a'])
})

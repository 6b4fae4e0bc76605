// The protocol codec against the real Kafka broker, over a bare socket (wire-client.ts): every
// version of ApiVersions and Metadata the broker advertises and this codec implements, and the
// other APIs (produce/fetch in every common version and every compression codec, offsets,
// admin, group membership) round-tripped through encodeRequest/decodeResponse.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import {
  ApiKey,
  clientVersionRange,
  decodeAssignment,
  decodeRecordBatches,
  decodeSubscription,
  encodeAssignment,
  encodeRecordBatch,
  encodeSubscription,
  kafkaErrorInfo,
  KafkaErrors,
  uuidToString,
  type Compression,
  type RecordInput,
} from '../../../src/kafka/protocol/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { WireClient } from './wire-client.ts'

// Record timestamps near now: the broker's time retention judges records by their timestamps, and
// records dated years ago are expired at once, so a retention check during the test deletes them.
const RECENT = Date.now() - 60_000

let client: WireClient
let broker: Map<number, { min: number; max: number }>
const suffix = randomUUID().slice(0, 8)
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b))

/** Every version both the broker and this codec serve, oldest first. */
function commonVersions(apiKey: number): number[] {
  const ours = clientVersionRange(apiKey)
  const theirs = broker.get(apiKey)
  assert.ok(theirs, `the broker does not advertise api ${apiKey}`)
  const out: number[] = []
  for (let v = Math.max(ours.min, theirs.min); v <= Math.min(ours.max, theirs.max); v++) out.push(v)
  assert.ok(out.length > 0, `no common version for api ${apiKey}`)
  return out
}

function ok(errorCode: number, what: string): void {
  assert.equal(errorCode, 0, `${what}: ${kafkaErrorInfo(errorCode).name}`)
}

async function createTopic(name: string, partitions: number, version?: number): Promise<void> {
  const v = version ?? commonVersions(ApiKey.CreateTopics).at(-1)!
  const res = await client.call(ApiKey.CreateTopics, v, {
    topics: [
      {
        name,
        numPartitions: partitions,
        replicationFactor: 1,
        configs: [{ name: 'retention.ms', value: '3600000' }],
      },
    ],
    timeoutMs: 30000,
  })
  ok(res.topics[0]!.errorCode, `CreateTopics v${v} ${name}`)
  // The broker learns the new partitions' leaders asynchronously (KRaft metadata log): wait
  // until it reports a leader for each, or produce answers NOT_LEADER_OR_FOLLOWER meanwhile.
  for (let attempt = 0; attempt < 100; attempt++) {
    const meta = await client.call(ApiKey.Metadata, commonVersions(ApiKey.Metadata).at(-1)!, {
      topics: [{ name }],
    })
    const t = meta.topics[0]!
    if (t.errorCode === 0 && t.partitions.length === partitions && t.partitions.every((p) => p.leaderId >= 0))
      return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.fail(`topic ${name} has no leaders after 10 s`)
}

/** Repeats a call while its error code is retriable (coordinator loading, not yet available). */
async function untilNotRetriable<T>(call: () => Promise<T>, code: (r: T) => number): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const r = await call()
    if (!kafkaErrorInfo(code(r)).retriable || attempt >= 100) return r
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

before(async () => {
  const b = await useBroker('kafka')
  client = await WireClient.open(b.urls.bootstrap ?? new URL(b.url).host)
  const res = await client.call(ApiKey.ApiVersions, 3, {
    clientSoftwareName: 'conduit-protocol-test',
    clientSoftwareVersion: '0.1.0',
  })
  ok(res.errorCode, 'ApiVersions')
  broker = new Map(res.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]))
})

after(() => client?.close())

void test('ApiVersions: every version answers with the same API list', async () => {
  const lists: string[] = []
  for (const v of commonVersions(ApiKey.ApiVersions)) {
    const body = v >= 3 ? { clientSoftwareName: 'conduit-protocol-test', clientSoftwareVersion: '0.1.0' } : {}
    const res = await client.call(ApiKey.ApiVersions, v, body)
    ok(res.errorCode, `ApiVersions v${v}`)
    lists.push(JSON.stringify(res.apiKeys.map((k) => [k.apiKey, k.minVersion, k.maxVersion])))
    if (v >= 3) assert.ok(res.finalizedFeaturesEpoch >= 0n, `v${v} finalized features epoch`)
  }
  assert.equal(new Set(lists).size, 1)
})

void test('Metadata: every version describes the broker and a new topic', async () => {
  const topic = `protocol-metadata-${suffix}`
  await createTopic(topic, 3)
  for (const v of commonVersions(ApiKey.Metadata)) {
    const res = await client.call(ApiKey.Metadata, v, {
      topics: [{ name: topic }],
      allowAutoTopicCreation: false,
    })
    assert.ok(res.brokers.length >= 1, `v${v} brokers`)
    assert.ok(res.brokers[0]!.port > 0)
    const t = res.topics[0]!
    ok(t.errorCode, `Metadata v${v}`)
    assert.equal(t.name, topic)
    assert.equal(t.partitions.length, 3)
    for (const p of t.partitions) {
      assert.ok(p.leaderId >= 0, `v${v} partition ${p.partitionIndex} leader`)
      assert.deepEqual(p.replicaNodes, [p.leaderId])
      if (v >= 7) assert.ok(p.leaderEpoch >= 0)
    }
    if (v >= 2) assert.ok(res.clusterId)
    if (v >= 10) assert.notEqual(uuidToString(t.topicId), '00000000-0000-0000-0000-000000000000')
    const all = await client.call(ApiKey.Metadata, v, { topics: null })
    assert.ok(
      all.topics.some((x) => x.name === topic),
      `v${v} all-topics listing`,
    )
  }
})

void test('Produce in every version and codec, then Fetch in every version reads it all back', async () => {
  const topic = `protocol-records-${suffix}`
  await createTopic(topic, 1)
  const meta = await client.call(ApiKey.Metadata, commonVersions(ApiKey.Metadata).at(-1)!, {
    topics: [{ name: topic }],
  })
  const topicId = meta.topics[0]!.topicId
  const codecs: Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
  const sent: RecordInput[] = []
  let expectedOffset = 0n
  let i = 0
  for (const v of commonVersions(ApiKey.Produce)) {
    // zstd needs Produce v7+ (KIP-110): the broker refuses it in older versions.
    for (const compression of codecs.filter((c) => c !== 'zstd' || v >= 7)) {
      const records: RecordInput[] = Array.from({ length: 3 }, (_, j) => ({
        key: j === 1 ? null : utf8(`k-${i}-${j}`),
        value: j === 2 ? null : utf8(`value ${i}/${j} ${compression} `.repeat(20)),
        headers: [
          ['codec', utf8(compression)],
          ['null', null],
        ],
        timestamp: RECENT + i * 10 + j,
      }))
      i++
      const batch = await encodeRecordBatch({ records, compression })
      const res = await untilNotRetriable(
        () =>
          client.call(ApiKey.Produce, v, {
            transactionalId: null,
            acks: -1,
            timeoutMs: 30000,
            topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
          }),
        (r) => r.responses[0]!.partitionResponses[0]!.errorCode,
      )
      const p = res.responses[0]!.partitionResponses[0]!
      ok(p.errorCode, `Produce v${v} ${compression}`)
      assert.equal(p.baseOffset, expectedOffset, `Produce v${v} ${compression} base offset`)
      expectedOffset += 3n
      sent.push(...records)
    }
  }

  for (const v of commonVersions(ApiKey.Fetch)) {
    const got: {
      offset: bigint
      key: string | null
      value: string | null
      headers: string
      timestamp: number
    }[] = []
    let offset = 0n
    while (offset < expectedOffset) {
      const res = await client.call(ApiKey.Fetch, v, {
        replicaId: -1,
        maxWaitMs: 100,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        topics: [
          { topic, topicId, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] },
        ],
      })
      ok(res.errorCode, `Fetch v${v}`)
      const part = res.responses[0]!.partitions[0]!
      ok(part.errorCode, `Fetch v${v} partition`)
      assert.equal(part.highWatermark, expectedOffset)
      const batches = await decodeRecordBatches(part.records ?? new Uint8Array(0), {
        maxDecompressedBytes: 8 << 20,
      })
      assert.ok(batches.length > 0, `Fetch v${v} at ${offset} returned no batch`)
      for (const b of batches) {
        for (const r of b.records) {
          if (r.offset < offset) continue
          got.push({
            offset: r.offset,
            key: text(r.key),
            value: text(r.value),
            headers: JSON.stringify(r.headers.map(([k, hv]) => [k, text(hv)])),
            timestamp: r.timestamp,
          })
        }
        offset = b.baseOffset + BigInt(b.lastOffsetDelta) + 1n
      }
    }
    assert.equal(got.length, sent.length, `Fetch v${v} record count`)
    got.forEach((r, n) => {
      const want = sent[n]!
      assert.equal(r.offset, BigInt(n))
      assert.equal(r.key, text(want.key))
      assert.equal(r.value, text(want.value))
      assert.equal(r.headers, JSON.stringify(want.headers!.map(([k, hv]) => [k, text(hv)])))
      assert.equal(r.timestamp, want.timestamp)
    })
  }

  for (const v of commonVersions(ApiKey.ListOffsets)) {
    const ask = async (timestamp: bigint): Promise<bigint> => {
      const res = await client.call(ApiKey.ListOffsets, v, {
        replicaId: -1,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp }] }],
      })
      const p = res.topics[0]!.partitions[0]!
      ok(p.errorCode, `ListOffsets v${v}`)
      return p.offset
    }
    assert.equal(await ask(-1n), expectedOffset, `ListOffsets v${v} latest`)
    assert.equal(await ask(-2n), 0n, `ListOffsets v${v} earliest`)
    assert.equal(await ask(BigInt(sent[6]!.timestamp)), 6n, `ListOffsets v${v} by timestamp`)
  }

  for (const v of commonVersions(ApiKey.OffsetForLeaderEpoch)) {
    const res = await client.call(ApiKey.OffsetForLeaderEpoch, v, {
      replicaId: -1,
      topics: [
        { topic, partitions: [{ partition: 0, leaderEpoch: meta.topics[0]!.partitions[0]!.leaderEpoch }] },
      ],
    })
    const p = res.topics[0]!.partitions[0]!
    ok(p.errorCode, `OffsetForLeaderEpoch v${v}`)
    assert.equal(p.endOffset, expectedOffset)
  }

  const del = await client.call(ApiKey.DeleteRecords, commonVersions(ApiKey.DeleteRecords).at(-1)!, {
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 6n }] }],
    timeoutMs: 30000,
  })
  ok(del.topics[0]!.partitions[0]!.errorCode, 'DeleteRecords')
  assert.equal(del.topics[0]!.partitions[0]!.lowWatermark, 6n)
})

void test('admin APIs: topics, partitions, configs, cluster', async () => {
  const created: string[] = []
  for (const v of commonVersions(ApiKey.CreateTopics)) {
    const name = `protocol-admin-v${v}-${suffix}`
    await createTopic(name, 1, v)
    created.push(name)
  }
  const target = created[0]!
  for (const v of commonVersions(ApiKey.CreatePartitions)) {
    const res = await client.call(ApiKey.CreatePartitions, v, {
      topics: [{ name: target, count: 1 + v + 1, assignments: null }],
      timeoutMs: 30000,
      validateOnly: false,
    })
    ok(res.results[0]!.errorCode, `CreatePartitions v${v}`)
  }
  for (const v of commonVersions(ApiKey.IncrementalAlterConfigs)) {
    const res = await client.call(ApiKey.IncrementalAlterConfigs, v, {
      resources: [
        {
          resourceType: 2,
          resourceName: target,
          configs: [{ name: 'retention.ms', configOperation: 0, value: `${7200000 + v}` }],
        },
      ],
      validateOnly: false,
    })
    ok(res.responses[0]!.errorCode, `IncrementalAlterConfigs v${v}`)
  }
  for (const v of commonVersions(ApiKey.DescribeConfigs)) {
    const res = await client.call(ApiKey.DescribeConfigs, v, {
      resources: [
        { resourceType: 2, resourceName: target, configurationKeys: ['retention.ms', 'cleanup.policy'] },
      ],
      includeSynonyms: true,
    })
    const r = res.results[0]!
    ok(r.errorCode, `DescribeConfigs v${v}`)
    const retention = r.configs.find((c) => c.name === 'retention.ms')
    assert.match(retention?.value ?? '', /^720000\d$/, `DescribeConfigs v${v} sees the altered retention`)
  }
  for (const v of commonVersions(ApiKey.DescribeCluster)) {
    const res = await client.call(ApiKey.DescribeCluster, v, { includeClusterAuthorizedOperations: false })
    ok(res.errorCode, `DescribeCluster v${v}`)
    assert.ok(res.clusterId.length > 0)
    assert.ok(res.brokers.length >= 1)
  }
  const meta = await client.call(ApiKey.Metadata, commonVersions(ApiKey.Metadata).at(-1)!, {
    topics: [{ name: target }],
  })
  assert.equal(meta.topics[0]!.partitions.length, 1 + commonVersions(ApiKey.CreatePartitions).at(-1)! + 1)

  const deleteVersions = commonVersions(ApiKey.DeleteTopics)
  for (const [n, name] of created.entries()) {
    const v = deleteVersions[n % deleteVersions.length]!
    const res = await client.call(ApiKey.DeleteTopics, v, {
      topics: [{ name, topicId: new Uint8Array(16) }],
      topicNames: [name],
      timeoutMs: 30000,
    })
    ok(res.responses[0]!.errorCode, `DeleteTopics v${v} ${name}`)
  }
})

void test('group membership: coordinator, join, sync, heartbeat, commit, fetch, describe, leave, delete', async () => {
  const group = `protocol-group-${suffix}`
  const topic = `protocol-group-topic-${suffix}`
  await createTopic(topic, 2)
  for (const v of commonVersions(ApiKey.FindCoordinator)) {
    // A broker just started creates __consumer_offsets on the first FindCoordinator and answers
    // COORDINATOR_NOT_AVAILABLE (retriable) until it exists: ask again, as clients do.
    const res = await untilNotRetriable(
      () => client.call(ApiKey.FindCoordinator, v, { key: group, keyType: 0, coordinatorKeys: [group] }),
      (r) => (v >= 4 ? r.coordinators[0]!.errorCode : r.errorCode),
    )
    if (v >= 4) {
      ok(res.coordinators[0]!.errorCode, `FindCoordinator v${v}`)
      assert.equal(res.coordinators[0]!.key, group)
    } else ok(res.errorCode, `FindCoordinator v${v}`)
  }
  // One broker: the coordinator is the broker this client is connected to.

  const joinV = commonVersions(ApiKey.JoinGroup).at(-1)!
  const subscription = encodeSubscription({
    topics: [topic],
    ownedPartitions: [],
    generationId: -1,
    rackId: null,
  })
  const joinBody = {
    groupId: group,
    sessionTimeoutMs: 30000,
    rebalanceTimeoutMs: 30000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription }],
    reason: 'protocol test',
  }
  // The coordinator may still be loading the group's offsets partition (retriable) on a fresh broker.
  const first = await untilNotRetriable(
    () => client.call(ApiKey.JoinGroup, joinV, { ...joinBody, memberId: '' }),
    (r) => r.errorCode,
  )
  assert.equal(first.errorCode, KafkaErrors.MEMBER_ID_REQUIRED, 'a first join gets MEMBER_ID_REQUIRED')
  const joined = await client.call(ApiKey.JoinGroup, joinV, { ...joinBody, memberId: first.memberId })
  ok(joined.errorCode, 'JoinGroup')
  assert.equal(joined.leader, joined.memberId)
  assert.equal(joined.protocolName, 'range')
  assert.equal(joined.members.length, 1)
  assert.deepEqual(decodeSubscription(joined.members[0]!.metadata).topics, [topic])

  const assignment = encodeAssignment({ assignedPartitions: [{ topic, partitions: [0, 1] }] })
  const synced = await client.call(ApiKey.SyncGroup, commonVersions(ApiKey.SyncGroup).at(-1)!, {
    groupId: group,
    generationId: joined.generationId,
    memberId: joined.memberId,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [{ memberId: joined.memberId, assignment }],
  })
  ok(synced.errorCode, 'SyncGroup')
  assert.deepEqual(decodeAssignment(synced.assignment).assignedPartitions, [{ topic, partitions: [0, 1] }])

  for (const v of commonVersions(ApiKey.Heartbeat)) {
    const hb = await client.call(ApiKey.Heartbeat, v, {
      groupId: group,
      generationId: joined.generationId,
      memberId: joined.memberId,
    })
    ok(hb.errorCode, `Heartbeat v${v}`)
  }

  for (const v of commonVersions(ApiKey.OffsetCommit)) {
    const res = await client.call(ApiKey.OffsetCommit, v, {
      groupId: group,
      generationIdOrMemberEpoch: joined.generationId,
      memberId: joined.memberId,
      topics: [
        {
          name: topic,
          partitions: [{ partitionIndex: 0, committedOffset: BigInt(v), committedMetadata: `v${v}` }],
        },
      ],
    })
    ok(res.topics[0]!.partitions[0]!.errorCode, `OffsetCommit v${v}`)
  }
  const lastCommit = BigInt(commonVersions(ApiKey.OffsetCommit).at(-1)!)
  for (const v of commonVersions(ApiKey.OffsetFetch)) {
    const res = await client.call(ApiKey.OffsetFetch, v, {
      groupId: group,
      topics: [{ name: topic, partitionIndexes: [0, 1] }],
      groups: [{ groupId: group, topics: [{ name: topic, partitionIndexes: [0, 1] }] }],
      requireStable: true,
    })
    const parts = v >= 8 ? res.groups[0]!.topics[0]!.partitions : res.topics[0]!.partitions
    const p0 = parts.find((p) => p.partitionIndex === 0)!
    const p1 = parts.find((p) => p.partitionIndex === 1)!
    ok(p0.errorCode, `OffsetFetch v${v}`)
    assert.equal(p0.committedOffset, lastCommit, `OffsetFetch v${v}`)
    assert.equal(p0.metadata, `v${lastCommit}`)
    assert.equal(p1.committedOffset, -1n, `OffsetFetch v${v} uncommitted partition`)
  }

  for (const v of commonVersions(ApiKey.DescribeGroups)) {
    const res = await client.call(ApiKey.DescribeGroups, v, { groups: [group] })
    const g = res.groups[0]!
    ok(g.errorCode, `DescribeGroups v${v}`)
    assert.equal(g.groupState, 'Stable')
    assert.equal(g.protocolData, 'range')
    assert.equal(g.members[0]!.memberId, joined.memberId)
    assert.deepEqual(decodeAssignment(g.members[0]!.memberAssignment).assignedPartitions, [
      { topic, partitions: [0, 1] },
    ])
  }
  for (const v of commonVersions(ApiKey.ListGroups)) {
    const res = await client.call(ApiKey.ListGroups, v, { statesFilter: [], typesFilter: [] })
    ok(res.errorCode, `ListGroups v${v}`)
    assert.ok(
      res.groups.some((g) => g.groupId === group),
      `ListGroups v${v}`,
    )
  }

  const leave = await client.call(ApiKey.LeaveGroup, commonVersions(ApiKey.LeaveGroup).at(-1)!, {
    groupId: group,
    members: [{ memberId: joined.memberId, groupInstanceId: null, reason: 'done' }],
  })
  ok(leave.errorCode, 'LeaveGroup')
  ok(leave.members[0]!.errorCode, 'LeaveGroup member')

  const offsetDelete = await client.call(ApiKey.OffsetDelete, 0, {
    groupId: group,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0 }] }],
  })
  ok(offsetDelete.errorCode, 'OffsetDelete')
  ok(offsetDelete.topics[0]!.partitions[0]!.errorCode, 'OffsetDelete partition')

  const deleted = await client.call(ApiKey.DeleteGroups, commonVersions(ApiKey.DeleteGroups).at(-1)!, {
    groupsNames: [group],
  })
  ok(deleted.results[0]!.errorCode, 'DeleteGroups')
})

void test('InitProducerId gives an idempotent producer id in every version', async () => {
  for (const v of commonVersions(ApiKey.InitProducerId)) {
    // COORDINATOR_LOAD_IN_PROGRESS (retriable) while a fresh broker loads its transaction state.
    const res = await untilNotRetriable(
      () => client.call(ApiKey.InitProducerId, v, { transactionalId: null, transactionTimeoutMs: 60000 }),
      (r) => r.errorCode,
    )
    ok(res.errorCode, `InitProducerId v${v}`)
    assert.ok(res.producerId >= 0n)
    assert.ok(res.producerEpoch >= 0)
  }
})

void test('transactions: add partitions and offsets, produce, commit and abort; control batches read back', async () => {
  const topic = `protocol-txn-${suffix}`
  const group = `protocol-txn-group-${suffix}`
  const transactionalId = `protocol-txn-id-${suffix}`
  await createTopic(topic, 1)
  // The first transactional request of a fresh broker creates __transaction_state: until it is
  // loaded the coordinator answers with retriable errors, which is what a client retries on.
  const coordinator = await untilNotRetriable(
    () =>
      client.call(ApiKey.FindCoordinator, commonVersions(ApiKey.FindCoordinator).at(-1)!, {
        keyType: 1,
        coordinatorKeys: [transactionalId],
      }),
    (r) => r.coordinators[0]!.errorCode,
  )
  ok(coordinator.coordinators[0]!.errorCode, 'FindCoordinator (transaction)')
  const init = await untilNotRetriable(
    () =>
      client.call(ApiKey.InitProducerId, commonVersions(ApiKey.InitProducerId).at(-1)!, {
        transactionalId,
        transactionTimeoutMs: 60000,
      }),
    (r) => r.errorCode,
  )
  ok(init.errorCode, 'InitProducerId (transactional)')
  const { producerId, producerEpoch } = init
  const addPartitionsVersions = commonVersions(ApiKey.AddPartitionsToTxn)
  const endVersions = commonVersions(ApiKey.EndTxn)
  let sequence = 0
  const outcomes = [true, false, true]
  for (const [n, commit] of outcomes.entries()) {
    // CONCURRENT_TRANSACTIONS (retriable) while the previous transaction's markers are written.
    const added = await untilNotRetriable(
      () =>
        client.call(ApiKey.AddPartitionsToTxn, addPartitionsVersions[n % addPartitionsVersions.length]!, {
          v3AndBelowTransactionalId: transactionalId,
          v3AndBelowProducerId: producerId,
          v3AndBelowProducerEpoch: producerEpoch,
          v3AndBelowTopics: [{ name: topic, partitions: [0] }],
        }),
      (r) => r.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode,
    )
    ok(added.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, 'AddPartitionsToTxn')
    const batch = await encodeRecordBatch({
      records: [{ key: null, value: utf8(`txn ${n} ${commit ? 'commit' : 'abort'}`), timestamp: Date.now() }],
      compression: 'none',
      producerId,
      producerEpoch,
      baseSequence: sequence++,
      transactional: true,
    })
    // A broker whose metadata already names itself leader may still answer NOT_LEADER_OR_FOLLOWER
    // until the partition is loaded locally; a refused batch was not appended, so resend it.
    const produced = await untilNotRetriable(
      () =>
        client.call(ApiKey.Produce, commonVersions(ApiKey.Produce).at(-1)!, {
          transactionalId,
          acks: -1,
          timeoutMs: 30000,
          topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
        }),
      (r) => r.responses[0]!.partitionResponses[0]!.errorCode,
    )
    ok(produced.responses[0]!.partitionResponses[0]!.errorCode, 'transactional Produce')
    if (n === 0) {
      const addOffsets = await client.call(
        ApiKey.AddOffsetsToTxn,
        commonVersions(ApiKey.AddOffsetsToTxn).at(-1)!,
        {
          transactionalId,
          producerId,
          producerEpoch,
          groupId: group,
        },
      )
      ok(addOffsets.errorCode, 'AddOffsetsToTxn')
      const txnCommit = await client.call(
        ApiKey.TxnOffsetCommit,
        commonVersions(ApiKey.TxnOffsetCommit).at(-1)!,
        {
          transactionalId,
          groupId: group,
          producerId,
          producerEpoch,
          topics: [
            {
              name: topic,
              partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }],
            },
          ],
        },
      )
      ok(txnCommit.topics[0]!.partitions[0]!.errorCode, 'TxnOffsetCommit')
    }
    const ended = await client.call(ApiKey.EndTxn, endVersions[n % endVersions.length]!, {
      transactionalId,
      producerId,
      producerEpoch,
      committed: commit,
    })
    ok(ended.errorCode, `EndTxn ${commit ? 'commit' : 'abort'}`)
  }

  // Wait until the last marker is written (the last stable offset reaches the end), then read
  // everything in read_uncommitted: data batches flagged transactional, and one control batch
  // per transaction with its marker type.
  let controls: string[] = []
  let values: string[] = []
  let aborted: bigint[] = []
  for (let attempt = 0; attempt < 50; attempt++) {
    const res = await client.call(ApiKey.Fetch, commonVersions(ApiKey.Fetch).at(-1)!, {
      replicaId: -1,
      maxWaitMs: 100,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      topics: [
        {
          topic,
          topicId: (await client.call(ApiKey.Metadata, 12, { topics: [{ name: topic }] })).topics[0]!.topicId,
          partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }],
        },
      ],
    })
    const part = res.responses[0]!.partitions[0]!
    ok(part.errorCode, 'Fetch read_committed')
    const batches = await decodeRecordBatches(part.records ?? new Uint8Array(0), {
      maxDecompressedBytes: 1 << 20,
    })
    controls = batches.filter((b) => b.isControl).map((b) => String(b.controlType))
    values = batches.filter((b) => !b.isControl).map((b) => text(b.records[0]!.value)!)
    aborted = (part.abortedTransactions ?? []).map((t) => t.firstOffset)
    if (controls.length === 3) {
      assert.ok(
        batches.filter((b) => !b.isControl).every((b) => b.isTransactional && b.producerId === producerId),
      )
      break
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  assert.deepEqual(controls, ['commit', 'abort', 'commit'])
  assert.deepEqual(values, ['txn 0 commit', 'txn 1 abort', 'txn 2 commit'])
  assert.deepEqual(aborted, [2n], 'read_committed fetch lists the aborted transaction (data at offset 2)')
})

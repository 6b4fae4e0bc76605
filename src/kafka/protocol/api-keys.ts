// Numeric API keys of the Kafka requests this codec implements.

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  TxnOffsetCommit: 28,
  DescribeConfigs: 32,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  DeleteGroups: 42,
  IncrementalAlterConfigs: 44,
  OffsetDelete: 47,
  AlterClientQuotas: 49,
  DescribeCluster: 60,
} as const

export type ApiKeyName = keyof typeof ApiKey
export type ApiKeyValue = (typeof ApiKey)[ApiKeyName]

const NAMES = new Map<number, string>(Object.entries(ApiKey).map(([name, key]) => [key, name]))

/** The API's name for messages (`"Metadata"`), or `"api 99"` for a key this codec does not know. */
export function apiName(apiKey: number): string {
  return NAMES.get(apiKey) ?? `api ${apiKey}`
}

// Kafka's error codes: the broker's own name for each, whether repeating the request may succeed
// (the Java client's RetriableException hierarchy), and whether the error means the client's view
// of the cluster is stale so metadata (or the coordinator) must be looked up again before a retry.
// Transcribed from the protocol's error table (org.apache.kafka.common.protocol.Errors).

import { BrokerError } from '../../core/errors.ts'

export interface KafkaErrorInfo {
  readonly code: number
  readonly name: string
  readonly retriable: boolean
  /** Retrying without refreshing metadata/coordinator would hit the same stale broker. */
  readonly refreshMetadata: boolean
}

// [code, name, retriable, refreshMetadata]
const TABLE: readonly (readonly [number, string, boolean, boolean])[] = [
  [-1, 'UNKNOWN_SERVER_ERROR', false, false],
  [1, 'OFFSET_OUT_OF_RANGE', false, false],
  [2, 'CORRUPT_MESSAGE', true, false],
  [3, 'UNKNOWN_TOPIC_OR_PARTITION', true, true],
  [4, 'INVALID_FETCH_SIZE', false, false],
  [5, 'LEADER_NOT_AVAILABLE', true, true],
  [6, 'NOT_LEADER_OR_FOLLOWER', true, true],
  [7, 'REQUEST_TIMED_OUT', true, false],
  [8, 'BROKER_NOT_AVAILABLE', false, false],
  [9, 'REPLICA_NOT_AVAILABLE', true, true],
  [10, 'MESSAGE_TOO_LARGE', false, false],
  [11, 'STALE_CONTROLLER_EPOCH', false, false],
  [12, 'OFFSET_METADATA_TOO_LARGE', false, false],
  [13, 'NETWORK_EXCEPTION', true, false],
  [14, 'COORDINATOR_LOAD_IN_PROGRESS', true, false],
  [15, 'COORDINATOR_NOT_AVAILABLE', true, true],
  [16, 'NOT_COORDINATOR', true, true],
  [17, 'INVALID_TOPIC_EXCEPTION', false, false],
  [18, 'RECORD_LIST_TOO_LARGE', false, false],
  [19, 'NOT_ENOUGH_REPLICAS', true, false],
  [20, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', true, false],
  [21, 'INVALID_REQUIRED_ACKS', false, false],
  [22, 'ILLEGAL_GENERATION', false, false],
  [23, 'INCONSISTENT_GROUP_PROTOCOL', false, false],
  [24, 'INVALID_GROUP_ID', false, false],
  [25, 'UNKNOWN_MEMBER_ID', false, false],
  [26, 'INVALID_SESSION_TIMEOUT', false, false],
  [27, 'REBALANCE_IN_PROGRESS', false, false],
  [28, 'INVALID_COMMIT_OFFSET_SIZE', false, false],
  [29, 'TOPIC_AUTHORIZATION_FAILED', false, false],
  [30, 'GROUP_AUTHORIZATION_FAILED', false, false],
  [31, 'CLUSTER_AUTHORIZATION_FAILED', false, false],
  [32, 'INVALID_TIMESTAMP', false, false],
  [33, 'UNSUPPORTED_SASL_MECHANISM', false, false],
  [34, 'ILLEGAL_SASL_STATE', false, false],
  [35, 'UNSUPPORTED_VERSION', false, false],
  [36, 'TOPIC_ALREADY_EXISTS', false, false],
  [37, 'INVALID_PARTITIONS', false, false],
  [38, 'INVALID_REPLICATION_FACTOR', false, false],
  [39, 'INVALID_REPLICA_ASSIGNMENT', false, false],
  [40, 'INVALID_CONFIG', false, false],
  [41, 'NOT_CONTROLLER', true, true],
  [42, 'INVALID_REQUEST', false, false],
  [43, 'UNSUPPORTED_FOR_MESSAGE_FORMAT', false, false],
  [44, 'POLICY_VIOLATION', false, false],
  [45, 'OUT_OF_ORDER_SEQUENCE_NUMBER', false, false],
  [46, 'DUPLICATE_SEQUENCE_NUMBER', false, false],
  [47, 'INVALID_PRODUCER_EPOCH', false, false],
  [48, 'INVALID_TXN_STATE', false, false],
  [49, 'INVALID_PRODUCER_ID_MAPPING', false, false],
  [50, 'INVALID_TRANSACTION_TIMEOUT', false, false],
  [51, 'CONCURRENT_TRANSACTIONS', true, false],
  [52, 'TRANSACTION_COORDINATOR_FENCED', false, false],
  [53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', false, false],
  [54, 'SECURITY_DISABLED', false, false],
  [55, 'OPERATION_NOT_ATTEMPTED', false, false],
  [56, 'KAFKA_STORAGE_ERROR', true, true],
  [57, 'LOG_DIR_NOT_FOUND', false, false],
  [58, 'SASL_AUTHENTICATION_FAILED', false, false],
  [59, 'UNKNOWN_PRODUCER_ID', false, false],
  [60, 'REASSIGNMENT_IN_PROGRESS', false, false],
  [61, 'DELEGATION_TOKEN_AUTH_DISABLED', false, false],
  [62, 'DELEGATION_TOKEN_NOT_FOUND', false, false],
  [63, 'DELEGATION_TOKEN_OWNER_MISMATCH', false, false],
  [64, 'DELEGATION_TOKEN_REQUEST_NOT_ALLOWED', false, false],
  [65, 'DELEGATION_TOKEN_AUTHORIZATION_FAILED', false, false],
  [66, 'DELEGATION_TOKEN_EXPIRED', false, false],
  [67, 'INVALID_PRINCIPAL_TYPE', false, false],
  [68, 'NON_EMPTY_GROUP', false, false],
  [69, 'GROUP_ID_NOT_FOUND', false, false],
  [70, 'FETCH_SESSION_ID_NOT_FOUND', true, false],
  [71, 'INVALID_FETCH_SESSION_EPOCH', true, false],
  [72, 'LISTENER_NOT_FOUND', true, false],
  [73, 'TOPIC_DELETION_DISABLED', false, false],
  [74, 'FENCED_LEADER_EPOCH', true, true],
  [75, 'UNKNOWN_LEADER_EPOCH', true, true],
  [76, 'UNSUPPORTED_COMPRESSION_TYPE', false, false],
  [77, 'STALE_BROKER_EPOCH', false, false],
  [78, 'OFFSET_NOT_AVAILABLE', true, false],
  [79, 'MEMBER_ID_REQUIRED', false, false],
  [80, 'PREFERRED_LEADER_NOT_AVAILABLE', true, false],
  [81, 'GROUP_MAX_SIZE_REACHED', false, false],
  [82, 'FENCED_INSTANCE_ID', false, false],
  [83, 'ELIGIBLE_LEADERS_NOT_AVAILABLE', true, false],
  [84, 'ELECTION_NOT_NEEDED', true, false],
  [85, 'NO_REASSIGNMENT_IN_PROGRESS', false, false],
  [86, 'GROUP_SUBSCRIBED_TO_TOPIC', false, false],
  [87, 'INVALID_RECORD', false, false],
  [88, 'UNSTABLE_OFFSET_COMMIT', true, false],
  [89, 'THROTTLING_QUOTA_EXCEEDED', true, false],
  [90, 'PRODUCER_FENCED', false, false],
  [91, 'RESOURCE_NOT_FOUND', false, false],
  [92, 'DUPLICATE_RESOURCE', false, false],
  [93, 'UNACCEPTABLE_CREDENTIAL', false, false],
  [94, 'INCONSISTENT_VOTER_SET', false, false],
  [95, 'INVALID_UPDATE_VERSION', false, false],
  [96, 'FEATURE_UPDATE_FAILED', false, false],
  [97, 'PRINCIPAL_DESERIALIZATION_FAILURE', false, false],
  [98, 'SNAPSHOT_NOT_FOUND', false, false],
  [100, 'UNKNOWN_TOPIC_ID', true, true],
  [101, 'DUPLICATE_BROKER_REGISTRATION', false, false],
  [102, 'BROKER_ID_NOT_REGISTERED', false, false],
  [103, 'INCONSISTENT_TOPIC_ID', true, true],
  [104, 'INCONSISTENT_CLUSTER_ID', false, false],
  [105, 'TRANSACTIONAL_ID_NOT_FOUND', false, false],
  [106, 'FETCH_SESSION_TOPIC_ID_ERROR', true, true],
  [107, 'INELIGIBLE_REPLICA', false, false],
  [108, 'NEW_LEADER_ELECTED', false, false],
  [109, 'OFFSET_MOVED_TO_TIERED_STORAGE', false, false],
  [110, 'FENCED_MEMBER_EPOCH', false, false],
  [111, 'UNRELEASED_INSTANCE_ID', false, false],
  [112, 'UNSUPPORTED_ASSIGNOR', false, false],
  [113, 'STALE_MEMBER_EPOCH', false, false],
  [114, 'MISMATCHED_ENDPOINT_TYPE', false, false],
  [115, 'UNSUPPORTED_ENDPOINT_TYPE', false, false],
  [116, 'UNKNOWN_CONTROLLER_ID', false, false],
  [117, 'UNKNOWN_SUBSCRIPTION_ID', false, false],
  [118, 'TELEMETRY_TOO_LARGE', false, false],
  [119, 'INVALID_REGISTRATION', false, false],
  [120, 'TRANSACTION_ABORTABLE', false, false],
  [121, 'INVALID_RECORD_STATE', false, false],
  [122, 'SHARE_SESSION_NOT_FOUND', true, false],
  [123, 'INVALID_SHARE_SESSION_EPOCH', true, false],
  [124, 'FENCED_STATE_EPOCH', false, false],
  [125, 'INVALID_VOTER_KEY', false, false],
  [126, 'DUPLICATE_VOTER', false, false],
  [127, 'VOTER_NOT_FOUND', false, false],
  [128, 'INVALID_REGULAR_EXPRESSION', false, false],
]

/** Every Kafka error code (0 = NONE is included), keyed by code. */
export const KafkaErrorCode: ReadonlyMap<number, KafkaErrorInfo> = new Map(
  [[0, 'NONE', false, false] as const, ...TABLE].map(([code, name, retriable, refreshMetadata]) => [
    code,
    Object.freeze({ code, name, retriable, refreshMetadata }),
  ]),
)

/** Kafka error codes by name, for readable comparisons: `code === KafkaErrors.NOT_LEADER_OR_FOLLOWER`. */
export const KafkaErrors: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries([...KafkaErrorCode.values()].map((e) => [e.name, e.code])),
)

export function kafkaErrorInfo(code: number): KafkaErrorInfo {
  return (
    KafkaErrorCode.get(code) ?? {
      code,
      name: `UNKNOWN_ERROR_CODE_${code}`,
      retriable: false,
      refreshMetadata: false,
    }
  )
}

/** True when `code` is an error whose retry needs fresh metadata or a new coordinator lookup. */
export function needsMetadataRefresh(code: number): boolean {
  return KafkaErrorCode.get(code)?.refreshMetadata ?? false
}

/**
 * The BrokerError for a Kafka error code; `context` says what failed (`"Produce orders-3"`).
 * An unknown code (a broker newer than this table) is reported as non-retriable.
 */
export function kafkaError(code: number, context: string, message?: string | null): BrokerError {
  const info = kafkaErrorInfo(code)
  const detail = message ? `: ${message}` : ''
  return new BrokerError(code, info.name, `${context} failed with ${info.name} (${code})${detail}`, {
    retriable: info.retriable,
  })
}

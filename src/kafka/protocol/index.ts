// The Kafka wire protocol: pure codecs, bytes <-> typed values. No sockets, timers or promises
// (except record-batch compression, which calls the async codecs).

export { ApiKey, apiName, type ApiKeyName, type ApiKeyValue } from './api-keys.ts'
export * from './apis.ts'
export { clientVersionRange, pickVersion, type VersionRange } from './versions.ts'
export {
  encodeRequest,
  encodeRequestParts,
  decodeResponse,
  readCorrelationId,
  decodeRequest,
  encodeResponse,
  type RequestHeader,
} from './frame.ts'
export {
  KafkaErrorCode,
  KafkaErrors,
  kafkaError,
  kafkaErrorInfo,
  needsMetadataRefresh,
  type KafkaErrorInfo,
} from './errors.ts'
export { uuidToString, uuidFromString, ZERO_UUID } from './uuid.ts'
export { Reader } from './reader.ts'
export { Writer } from './writer.ts'
export {
  encodeRecordBatch,
  encodeRecordBatchSync,
  decodeRecordBatches,
  COMPRESSION_CODES,
  RECORD_BATCH_OVERHEAD,
  type Compression,
  type RecordInput,
  type RecordHeader,
  type RecordBatchOptions,
  type DecodedBatch,
  type DecodedRecord,
  type DecodeOptions,
} from './record-batch.ts'
export {
  encodeSubscription,
  decodeSubscription,
  encodeAssignment,
  decodeAssignment,
  CONSUMER_PROTOCOL_MAX_VERSION,
  type ConsumerSubscription,
  type ConsumerSubscriptionInput,
  type ConsumerAssignment,
  type ConsumerAssignmentInput,
} from './consumer-protocol.ts'

// The table of every API schema this codec implements, and the TypeScript shapes of their
// request and response bodies (inferred from the same transcriptions).

import type { ApiKey } from './api-keys.ts'
import type { ApiSchema, BodyOf, InputOf } from './schema.ts'
import { AddOffsetsToTxn } from './schemas/add-offsets-to-txn.ts'
import { AddPartitionsToTxn } from './schemas/add-partitions-to-txn.ts'
import { ApiVersions } from './schemas/api-versions.ts'
import { CreatePartitions } from './schemas/create-partitions.ts'
import { CreateTopics } from './schemas/create-topics.ts'
import { DeleteGroups } from './schemas/delete-groups.ts'
import { AlterClientQuotas } from './schemas/alter-client-quotas.ts'
import { DeleteRecords } from './schemas/delete-records.ts'
import { DeleteTopics } from './schemas/delete-topics.ts'
import { DescribeCluster } from './schemas/describe-cluster.ts'
import { DescribeConfigs } from './schemas/describe-configs.ts'
import { DescribeGroups } from './schemas/describe-groups.ts'
import { EndTxn } from './schemas/end-txn.ts'
import { Fetch } from './schemas/fetch.ts'
import { FindCoordinator } from './schemas/find-coordinator.ts'
import { Heartbeat } from './schemas/heartbeat.ts'
import { IncrementalAlterConfigs } from './schemas/incremental-alter-configs.ts'
import { InitProducerId } from './schemas/init-producer-id.ts'
import { JoinGroup } from './schemas/join-group.ts'
import { LeaveGroup } from './schemas/leave-group.ts'
import { ListGroups } from './schemas/list-groups.ts'
import { ListOffsets } from './schemas/list-offsets.ts'
import { Metadata } from './schemas/metadata.ts'
import { OffsetCommit } from './schemas/offset-commit.ts'
import { OffsetDelete } from './schemas/offset-delete.ts'
import { OffsetFetch } from './schemas/offset-fetch.ts'
import { OffsetForLeaderEpoch } from './schemas/offset-for-leader-epoch.ts'
import { Produce } from './schemas/produce.ts'
import { SaslAuthenticate } from './schemas/sasl-authenticate.ts'
import { SaslHandshake } from './schemas/sasl-handshake.ts'
import { SyncGroup } from './schemas/sync-group.ts'
import { TxnOffsetCommit } from './schemas/txn-offset-commit.ts'

export const SCHEMAS: ReadonlyMap<number, ApiSchema> = new Map<number, ApiSchema>(
  [
    ApiVersions,
    Metadata,
    Produce,
    Fetch,
    ListOffsets,
    FindCoordinator,
    JoinGroup,
    SyncGroup,
    Heartbeat,
    LeaveGroup,
    OffsetCommit,
    OffsetFetch,
    InitProducerId,
    SaslHandshake,
    SaslAuthenticate,
    CreateTopics,
    DeleteTopics,
    CreatePartitions,
    DescribeGroups,
    ListGroups,
    DeleteGroups,
    OffsetDelete,
    DescribeConfigs,
    IncrementalAlterConfigs,
    DeleteRecords,
    AlterClientQuotas,
    DescribeCluster,
    AddPartitionsToTxn,
    AddOffsetsToTxn,
    EndTxn,
    TxnOffsetCommit,
    OffsetForLeaderEpoch,
  ].map((s) => [s.apiKey, s]),
)

type Req<S extends ApiSchema> = InputOf<S['request']>
type Res<S extends ApiSchema> = BodyOf<S['response']>

export type ApiVersionsRequest = Req<typeof ApiVersions>
export type ApiVersionsResponse = Res<typeof ApiVersions>
export type MetadataRequest = Req<typeof Metadata>
export type MetadataResponse = Res<typeof Metadata>
export type ProduceRequest = Req<typeof Produce>
export type ProduceResponse = Res<typeof Produce>
export type FetchRequest = Req<typeof Fetch>
export type FetchResponse = Res<typeof Fetch>
export type ListOffsetsRequest = Req<typeof ListOffsets>
export type ListOffsetsResponse = Res<typeof ListOffsets>
export type FindCoordinatorRequest = Req<typeof FindCoordinator>
export type FindCoordinatorResponse = Res<typeof FindCoordinator>
export type JoinGroupRequest = Req<typeof JoinGroup>
export type JoinGroupResponse = Res<typeof JoinGroup>
export type SyncGroupRequest = Req<typeof SyncGroup>
export type SyncGroupResponse = Res<typeof SyncGroup>
export type HeartbeatRequest = Req<typeof Heartbeat>
export type HeartbeatResponse = Res<typeof Heartbeat>
export type LeaveGroupRequest = Req<typeof LeaveGroup>
export type LeaveGroupResponse = Res<typeof LeaveGroup>
export type OffsetCommitRequest = Req<typeof OffsetCommit>
export type OffsetCommitResponse = Res<typeof OffsetCommit>
export type OffsetFetchRequest = Req<typeof OffsetFetch>
export type OffsetFetchResponse = Res<typeof OffsetFetch>
export type InitProducerIdRequest = Req<typeof InitProducerId>
export type InitProducerIdResponse = Res<typeof InitProducerId>
export type SaslHandshakeRequest = Req<typeof SaslHandshake>
export type SaslHandshakeResponse = Res<typeof SaslHandshake>
export type SaslAuthenticateRequest = Req<typeof SaslAuthenticate>
export type SaslAuthenticateResponse = Res<typeof SaslAuthenticate>
export type CreateTopicsRequest = Req<typeof CreateTopics>
export type CreateTopicsResponse = Res<typeof CreateTopics>
export type DeleteTopicsRequest = Req<typeof DeleteTopics>
export type DeleteTopicsResponse = Res<typeof DeleteTopics>
export type CreatePartitionsRequest = Req<typeof CreatePartitions>
export type CreatePartitionsResponse = Res<typeof CreatePartitions>
export type DescribeGroupsRequest = Req<typeof DescribeGroups>
export type DescribeGroupsResponse = Res<typeof DescribeGroups>
export type ListGroupsRequest = Req<typeof ListGroups>
export type ListGroupsResponse = Res<typeof ListGroups>
export type DeleteGroupsRequest = Req<typeof DeleteGroups>
export type DeleteGroupsResponse = Res<typeof DeleteGroups>
export type OffsetDeleteRequest = Req<typeof OffsetDelete>
export type OffsetDeleteResponse = Res<typeof OffsetDelete>
export type DescribeConfigsRequest = Req<typeof DescribeConfigs>
export type DescribeConfigsResponse = Res<typeof DescribeConfigs>
export type IncrementalAlterConfigsRequest = Req<typeof IncrementalAlterConfigs>
export type IncrementalAlterConfigsResponse = Res<typeof IncrementalAlterConfigs>
export type AlterClientQuotasRequest = Req<typeof AlterClientQuotas>
export type AlterClientQuotasResponse = Res<typeof AlterClientQuotas>
export type DeleteRecordsRequest = Req<typeof DeleteRecords>
export type DeleteRecordsResponse = Res<typeof DeleteRecords>
export type DescribeClusterRequest = Req<typeof DescribeCluster>
export type DescribeClusterResponse = Res<typeof DescribeCluster>
export type AddPartitionsToTxnRequest = Req<typeof AddPartitionsToTxn>
export type AddPartitionsToTxnResponse = Res<typeof AddPartitionsToTxn>
export type AddOffsetsToTxnRequest = Req<typeof AddOffsetsToTxn>
export type AddOffsetsToTxnResponse = Res<typeof AddOffsetsToTxn>
export type EndTxnRequest = Req<typeof EndTxn>
export type EndTxnResponse = Res<typeof EndTxn>
export type TxnOffsetCommitRequest = Req<typeof TxnOffsetCommit>
export type TxnOffsetCommitResponse = Res<typeof TxnOffsetCommit>
export type OffsetForLeaderEpochRequest = Req<typeof OffsetForLeaderEpoch>
export type OffsetForLeaderEpochResponse = Res<typeof OffsetForLeaderEpoch>

/** Request and response body types by API key, for the generic encode/decode functions. */
export interface ApiMessages {
  [ApiKey.ApiVersions]: {
    request: ApiVersionsRequest
    response: ApiVersionsResponse
    responseInput: InputOf<typeof ApiVersions.response>
  }
  [ApiKey.Metadata]: {
    request: MetadataRequest
    response: MetadataResponse
    responseInput: InputOf<typeof Metadata.response>
  }
  [ApiKey.Produce]: {
    request: ProduceRequest
    response: ProduceResponse
    responseInput: InputOf<typeof Produce.response>
  }
  [ApiKey.Fetch]: {
    request: FetchRequest
    response: FetchResponse
    responseInput: InputOf<typeof Fetch.response>
  }
  [ApiKey.ListOffsets]: {
    request: ListOffsetsRequest
    response: ListOffsetsResponse
    responseInput: InputOf<typeof ListOffsets.response>
  }
  [ApiKey.FindCoordinator]: {
    request: FindCoordinatorRequest
    response: FindCoordinatorResponse
    responseInput: InputOf<typeof FindCoordinator.response>
  }
  [ApiKey.JoinGroup]: {
    request: JoinGroupRequest
    response: JoinGroupResponse
    responseInput: InputOf<typeof JoinGroup.response>
  }
  [ApiKey.SyncGroup]: {
    request: SyncGroupRequest
    response: SyncGroupResponse
    responseInput: InputOf<typeof SyncGroup.response>
  }
  [ApiKey.Heartbeat]: {
    request: HeartbeatRequest
    response: HeartbeatResponse
    responseInput: InputOf<typeof Heartbeat.response>
  }
  [ApiKey.LeaveGroup]: {
    request: LeaveGroupRequest
    response: LeaveGroupResponse
    responseInput: InputOf<typeof LeaveGroup.response>
  }
  [ApiKey.OffsetCommit]: {
    request: OffsetCommitRequest
    response: OffsetCommitResponse
    responseInput: InputOf<typeof OffsetCommit.response>
  }
  [ApiKey.OffsetFetch]: {
    request: OffsetFetchRequest
    response: OffsetFetchResponse
    responseInput: InputOf<typeof OffsetFetch.response>
  }
  [ApiKey.InitProducerId]: {
    request: InitProducerIdRequest
    response: InitProducerIdResponse
    responseInput: InputOf<typeof InitProducerId.response>
  }
  [ApiKey.SaslHandshake]: {
    request: SaslHandshakeRequest
    response: SaslHandshakeResponse
    responseInput: InputOf<typeof SaslHandshake.response>
  }
  [ApiKey.SaslAuthenticate]: {
    request: SaslAuthenticateRequest
    response: SaslAuthenticateResponse
    responseInput: InputOf<typeof SaslAuthenticate.response>
  }
  [ApiKey.CreateTopics]: {
    request: CreateTopicsRequest
    response: CreateTopicsResponse
    responseInput: InputOf<typeof CreateTopics.response>
  }
  [ApiKey.DeleteTopics]: {
    request: DeleteTopicsRequest
    response: DeleteTopicsResponse
    responseInput: InputOf<typeof DeleteTopics.response>
  }
  [ApiKey.CreatePartitions]: {
    request: CreatePartitionsRequest
    response: CreatePartitionsResponse
    responseInput: InputOf<typeof CreatePartitions.response>
  }
  [ApiKey.DescribeGroups]: {
    request: DescribeGroupsRequest
    response: DescribeGroupsResponse
    responseInput: InputOf<typeof DescribeGroups.response>
  }
  [ApiKey.ListGroups]: {
    request: ListGroupsRequest
    response: ListGroupsResponse
    responseInput: InputOf<typeof ListGroups.response>
  }
  [ApiKey.DeleteGroups]: {
    request: DeleteGroupsRequest
    response: DeleteGroupsResponse
    responseInput: InputOf<typeof DeleteGroups.response>
  }
  [ApiKey.OffsetDelete]: {
    request: OffsetDeleteRequest
    response: OffsetDeleteResponse
    responseInput: InputOf<typeof OffsetDelete.response>
  }
  [ApiKey.DescribeConfigs]: {
    request: DescribeConfigsRequest
    response: DescribeConfigsResponse
    responseInput: InputOf<typeof DescribeConfigs.response>
  }
  [ApiKey.IncrementalAlterConfigs]: {
    request: IncrementalAlterConfigsRequest
    response: IncrementalAlterConfigsResponse
    responseInput: InputOf<typeof IncrementalAlterConfigs.response>
  }
  [ApiKey.DeleteRecords]: {
    request: DeleteRecordsRequest
    response: DeleteRecordsResponse
    responseInput: InputOf<typeof DeleteRecords.response>
  }
  [ApiKey.AlterClientQuotas]: {
    request: AlterClientQuotasRequest
    response: AlterClientQuotasResponse
    responseInput: InputOf<typeof AlterClientQuotas.response>
  }
  [ApiKey.DescribeCluster]: {
    request: DescribeClusterRequest
    response: DescribeClusterResponse
    responseInput: InputOf<typeof DescribeCluster.response>
  }
  [ApiKey.AddPartitionsToTxn]: {
    request: AddPartitionsToTxnRequest
    response: AddPartitionsToTxnResponse
    responseInput: InputOf<typeof AddPartitionsToTxn.response>
  }
  [ApiKey.AddOffsetsToTxn]: {
    request: AddOffsetsToTxnRequest
    response: AddOffsetsToTxnResponse
    responseInput: InputOf<typeof AddOffsetsToTxn.response>
  }
  [ApiKey.EndTxn]: {
    request: EndTxnRequest
    response: EndTxnResponse
    responseInput: InputOf<typeof EndTxn.response>
  }
  [ApiKey.TxnOffsetCommit]: {
    request: TxnOffsetCommitRequest
    response: TxnOffsetCommitResponse
    responseInput: InputOf<typeof TxnOffsetCommit.response>
  }
  [ApiKey.OffsetForLeaderEpoch]: {
    request: OffsetForLeaderEpochRequest
    response: OffsetForLeaderEpochResponse
    responseInput: InputOf<typeof OffsetForLeaderEpoch.response>
  }
}

export type RequestOf<K extends number> = K extends keyof ApiMessages ? ApiMessages[K]['request'] : object
/** A response body to encode (broker side, tests): every field optional. */
export type ResponseInputOf<K extends number> = K extends keyof ApiMessages
  ? ApiMessages[K]['responseInput']
  : object
// Unknown keys are rejected at run time by decodeResponse; their bodies have no static shape.
export type ResponseOf<K extends number> = K extends keyof ApiMessages ? ApiMessages[K]['response'] : any

// Consumer-group membership, classic protocol: JoinGroup → SyncGroup → Heartbeat … → LeaveGroup.
//
// The rebalance sequence:
//   1. (eager assignors only) revoke every owned partition — commit processed offsets first.
//   2. JoinGroup with our subscription per assignor (and, for cooperative-sticky, the partitions
//      we own and our generation). MEMBER_ID_REQUIRED hands us a member id: join again with it.
//   3. The leader (chosen by the coordinator) computes the assignment with the agreed assignor;
//      everybody sends SyncGroup, the leader with the assignment, and receives its share.
//   4. Cooperative: partitions we owned and did not get back are revoked now (commit first); if
//      any were, we rejoin at once so the follow-up rebalance can hand them to their new owner.
//      Partitions kept were never stopped: they kept flowing through the whole rebalance.
//   5. Heartbeat every heartbeatIntervalMs. REBALANCE_IN_PROGRESS → rejoin (cooperative members
//      keep consuming meanwhile). UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION / FENCED_INSTANCE_ID, or
//      no successful heartbeat for sessionTimeoutMs → the member was evicted: every partition is
//      dropped at once as *lost* (no commit: another member may own it already), then rejoin.
//
// Listener deadlines live in consumer.ts; this file only sequences the protocol.

import { Backoff, sleep } from '../../core/backoff.ts'
import { ConduitError, ConfigError } from '../../core/errors.ts'
import type { ConnectionPurpose, KafkaCluster } from '../cluster.ts'
import {
  ApiKey,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  kafkaError,
} from '../protocol/index.ts'
import {
  resolveAssignors,
  type Assignor,
  type AssignorMember,
  type TopicPartitions,
} from './assignors/index.ts'
import type { ResolvedConsumerConfig } from './options.ts'

export interface GroupMemberHooks {
  owned(): TopicPartitions[]
  assigned(partitions: { topic: string; partition: number }[]): Promise<void>
  revoked(partitions: { topic: string; partition: number }[], lost: boolean): Promise<void>
}

const E = {
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  UNKNOWN_MEMBER_ID: 25,
  REBALANCE_IN_PROGRESS: 27,
  GROUP_AUTHORIZATION_FAILED: 30,
  MEMBER_ID_REQUIRED: 79,
  FENCED_INSTANCE_ID: 82,
  GROUP_MAX_SIZE_REACHED: 81,
} as const

const FATAL = new Set<number>([
  E.INCONSISTENT_GROUP_PROTOCOL,
  E.GROUP_AUTHORIZATION_FAILED,
  E.FENCED_INSTANCE_ID,
  E.GROUP_MAX_SIZE_REACHED,
])

function flatten(list: readonly TopicPartitions[]): { topic: string; partition: number }[] {
  return list.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })))
}

const tpKey = (tp: { topic: string; partition: number }) => `${tp.topic}\0${tp.partition}`

export class GroupMember {
  readonly #cluster: KafkaCluster
  readonly #config: ResolvedConsumerConfig
  readonly #topics: string[]
  readonly #hooks: GroupMemberHooks
  readonly #assignors: Assignor[]
  readonly #groupId: string
  memberId = ''
  generationId = -1
  protocolName: string | undefined
  leaderId = ''
  #rejoin = true
  #stopped = false
  #loop: Promise<void> | undefined
  #firstJoin: { resolve: () => void; reject: (e: Error) => void } | undefined
  #lastHeartbeatOk = 0
  #fatal: ((err: Error) => void) | undefined
  #wakeHeartbeat: (() => void) | undefined
  /** Partition counts the leader assigned with, to notice topics growing. */
  #assignedCounts = new Map<string, number>()

  readonly #purpose: `group:${string}`

  constructor(
    cluster: KafkaCluster,
    config: ResolvedConsumerConfig,
    topics: string[],
    hooks: GroupMemberHooks,
    purpose: `group:${string}`,
  ) {
    this.#purpose = purpose
    if (!config.groupId) throw new ConfigError('a consumer group needs a groupId')
    this.#cluster = cluster
    this.#config = config
    this.#groupId = config.groupId
    this.#topics = topics
    this.#hooks = hooks
    this.#assignors = resolveAssignors(config.assignors)
  }

  get generation(): { generationId: number; memberId: string } {
    return { generationId: this.generationId, memberId: this.memberId }
  }

  get cooperative(): boolean {
    return this.#assignors[0]!.rebalance === 'cooperative'
  }

  onFatal(listener: (err: Error) => void): void {
    this.#fatal = listener
  }

  /** Joins; resolves after the first assignment (or rejects if joining fails for good). */
  start(): Promise<void> {
    const joined = new Promise<void>((resolve, reject) => (this.#firstJoin = { resolve, reject }))
    this.#loop = this.#run()
    return joined
  }

  requestRejoin(): void {
    this.#rejoin = true
    this.#wakeHeartbeat?.()
  }

  async #run(): Promise<void> {
    const backoff = new Backoff({ initialMs: 100, maxMs: 5000 })
    while (!this.#stopped) {
      try {
        if (this.#rejoin) {
          await this.#joinAndSync()
          backoff.reset()
          const first = this.#firstJoin
          this.#firstJoin = undefined
          first?.resolve()
        }
        await this.#heartbeatUntilRejoin()
      } catch (err) {
        if (this.#stopped) break
        const code = (err as { brokerCode?: unknown }).brokerCode
        const fatal =
          (typeof code === 'number' && FATAL.has(code)) ||
          (err instanceof ConduitError && !err.retriable && typeof code !== 'number')
        if (fatal) {
          await this.#loseAll()
          const first = this.#firstJoin
          this.#firstJoin = undefined
          if (first) first.reject(err as Error)
          else this.#fatal?.(err as Error)
          return
        }
        this.#rejoin = true
        await sleep(backoff.next()).catch(() => undefined)
      }
    }
  }

  async #coordinatorConnection(purpose: ConnectionPurpose = this.#purpose) {
    const node = await this.#cluster.coordinator(this.#groupId)
    try {
      return await this.#cluster.connection(node, purpose)
    } catch (err) {
      this.#cluster.forgetCoordinator(this.#groupId)
      throw err
    }
  }

  #handleCoordinatorError(code: number): void {
    if (code === E.NOT_COORDINATOR || code === E.COORDINATOR_NOT_AVAILABLE)
      this.#cluster.forgetCoordinator(this.#groupId)
  }

  async #joinAndSync(): Promise<void> {
    this.#rejoin = false
    if (!this.cooperative) {
      const owned = flatten(this.#hooks.owned())
      if (owned.length > 0) await this.#hooks.revoked(owned, false)
    }
    for (const t of this.#topics) await this.#cluster.topic(t).catch(() => undefined)
    const conn = await this.#coordinatorConnection()
    const owned = this.#hooks.owned()
    let join
    for (let attempt = 0; ; attempt++) {
      join = await conn.request(
        ApiKey.JoinGroup,
        {
          groupId: this.#groupId,
          sessionTimeoutMs: this.#config.sessionTimeoutMs,
          rebalanceTimeoutMs: this.#config.rebalanceTimeoutMs,
          memberId: this.memberId,
          groupInstanceId: this.#config.groupInstanceId ?? null,
          protocolType: 'consumer',
          protocols: this.#assignors.map((a) => ({
            name: a.name,
            metadata: encodeSubscription({
              topics: this.#topics,
              userData: null,
              ownedPartitions: a.rebalance === 'cooperative' ? owned : [],
              generationId: this.generationId,
              rackId: null,
            }),
          })),
          reason: null,
        },
        // The broker holds JoinGroup until every member joined or the rebalance timed out.
        { timeoutMs: this.#config.rebalanceTimeoutMs + 5000 },
      )
      if (join.errorCode === E.MEMBER_ID_REQUIRED && attempt === 0) {
        this.memberId = join.memberId
        continue
      }
      break
    }
    if (join.errorCode !== 0) {
      this.#handleCoordinatorError(join.errorCode)
      if (join.errorCode === E.UNKNOWN_MEMBER_ID) this.memberId = ''
      throw kafkaError(join.errorCode, `JoinGroup "${this.#groupId}"`)
    }
    this.memberId = join.memberId
    this.generationId = join.generationId
    this.protocolName = join.protocolName ?? undefined
    this.leaderId = join.leader

    let assignments: { memberId: string; assignment: Uint8Array }[] = []
    if (join.leader === join.memberId && !join.skipAssignment) {
      assignments = await this.#lead(join.members, this.protocolName)
    }
    const sync = await conn.request(
      ApiKey.SyncGroup,
      {
        groupId: this.#groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: this.#config.groupInstanceId ?? null,
        protocolType: 'consumer',
        protocolName: this.protocolName ?? null,
        assignments,
      },
      { timeoutMs: this.#config.rebalanceTimeoutMs + 5000 },
    )
    if (sync.errorCode !== 0) {
      this.#handleCoordinatorError(sync.errorCode)
      if (sync.errorCode === E.UNKNOWN_MEMBER_ID) this.memberId = ''
      throw kafkaError(sync.errorCode, `SyncGroup "${this.#groupId}"`)
    }
    const mine =
      sync.assignment && sync.assignment.length > 0
        ? decodeAssignment(sync.assignment)
        : { assignedPartitions: [] }
    const next = flatten(mine.assignedPartitions)
    const nextKeys = new Set(next.map(tpKey))
    const before = flatten(this.#hooks.owned())
    const beforeKeys = new Set(before.map(tpKey))
    const revoked = before.filter((tp) => !nextKeys.has(tpKey(tp)))
    const added = next.filter((tp) => !beforeKeys.has(tpKey(tp)))
    this.#lastHeartbeatOk = Date.now()
    if (revoked.length > 0) {
      await this.#hooks.revoked(revoked, false)
      // Cooperative: the partitions we gave up go to their new owner in a follow-up rebalance.
      if (this.cooperative) this.#rejoin = true
    }
    await this.#hooks.assigned(added)
  }

  async #lead(
    members: { memberId: string; groupInstanceId: string | null; metadata: Uint8Array }[],
    protocolName: string | undefined,
  ): Promise<{ memberId: string; assignment: Uint8Array }[]> {
    const assignor = this.#assignors.find((a) => a.name === protocolName)
    if (!assignor)
      throw new ConfigError(`the group agreed on assignor "${protocolName}" which this member lacks`)
    const decoded: AssignorMember[] = members.map((m) => {
      const s = decodeSubscription(m.metadata)
      return {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        topics: s.topics,
        ownedPartitions: s.ownedPartitions,
        generationId: s.generationId,
      }
    })
    const topics = [...new Set(decoded.flatMap((m) => m.topics))]
    await this.#cluster.refreshMetadata(topics)
    const counts = new Map<string, number>()
    for (const t of topics) {
      const info = this.#cluster.topics.get(t)
      if (info) counts.set(t, info.partitions.length)
    }
    this.#assignedCounts = counts
    const result = assignor.assign(decoded, counts)
    return decoded.map((m) => ({
      memberId: m.memberId,
      assignment: encodeAssignment({
        assignedPartitions: [...(result.get(m.memberId) ?? new Map<string, number[]>())].map(
          ([topic, partitions]) => ({
            topic,
            partitions,
          }),
        ),
        userData: null,
      }),
    }))
  }

  async #heartbeatUntilRejoin(): Promise<void> {
    while (!this.#stopped && !this.#rejoin) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#config.heartbeatIntervalMs)
        this.#wakeHeartbeat = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.#wakeHeartbeat = undefined
      if (this.#stopped || this.#rejoin) return
      if (this.#leaderSeesNewPartitions()) {
        this.#rejoin = true
        return
      }
      let code: number
      try {
        const conn = await this.#coordinatorConnection()
        const res = await conn.request(ApiKey.Heartbeat, {
          groupId: this.#groupId,
          generationId: this.generationId,
          memberId: this.memberId,
          groupInstanceId: this.#config.groupInstanceId ?? null,
        })
        code = res.errorCode
      } catch (err) {
        if (!(err instanceof ConduitError && err.retriable)) throw err
        // The coordinator is unreachable. Past the session timeout the group has certainly
        // evicted us: stop consuming rather than process records another member now owns.
        if (Date.now() - this.#lastHeartbeatOk > this.#config.sessionTimeoutMs) {
          await this.#loseAll()
          this.#rejoin = true
        }
        continue
      }
      if (code === 0) {
        this.#lastHeartbeatOk = Date.now()
        continue
      }
      this.#handleCoordinatorError(code)
      if (code === E.REBALANCE_IN_PROGRESS) {
        this.#rejoin = true
      } else if (
        code === E.UNKNOWN_MEMBER_ID ||
        code === E.ILLEGAL_GENERATION ||
        code === E.FENCED_INSTANCE_ID
      ) {
        await this.#loseAll()
        if (code === E.UNKNOWN_MEMBER_ID) this.memberId = ''
        if (code === E.FENCED_INSTANCE_ID) throw kafkaError(code, `Heartbeat "${this.#groupId}"`)
        this.generationId = -1
        this.#rejoin = true
      } else if (
        code !== E.NOT_COORDINATOR &&
        code !== E.COORDINATOR_NOT_AVAILABLE &&
        code !== E.COORDINATOR_LOAD_IN_PROGRESS
      ) {
        throw kafkaError(code, `Heartbeat "${this.#groupId}"`)
      }
    }
  }

  #leaderSeesNewPartitions(): boolean {
    if (this.leaderId !== this.memberId) return false
    for (const [topic, count] of this.#assignedCounts) {
      const now = this.#cluster.topics.get(topic)?.partitions.length
      if (now !== undefined && now !== count) return true
    }
    return false
  }

  async #loseAll(): Promise<void> {
    const owned = flatten(this.#hooks.owned())
    if (owned.length > 0) await this.#hooks.revoked(owned, true)
  }

  /** Leaves the group (dynamic members) after revoking and committing what we own. */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#wakeHeartbeat?.()
    // A JoinGroup in flight can take up to the rebalance timeout; do not wait for it to leave.
    await Promise.race([this.#loop?.catch(() => undefined), sleep(2000)])
    const owned = flatten(this.#hooks.owned())
    if (owned.length > 0) await this.#hooks.revoked(owned, false).catch(() => undefined)
    // A static member does not leave: restarting within the session timeout keeps its
    // partitions without a rebalance (KIP-345). A dynamic member leaves so the group
    // rebalances at once instead of after the session timeout.
    if (this.#config.groupInstanceId || !this.memberId) return
    try {
      const conn = await this.#coordinatorConnection(`${this.#purpose}:offsets`)
      await conn.request(ApiKey.LeaveGroup, {
        groupId: this.#groupId,
        memberId: this.memberId,
        members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'consumer closed' }],
      })
    } catch {
      // Leaving is a courtesy: the session timeout removes us anyway.
    }
  }
}

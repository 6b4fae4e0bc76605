// The common contract: what every driver offers so that "send, receive, acknowledge" is the same
// code on every broker. Each driver also has its full native API; this is the small shared part.
// The shape follows libbeat's publisher broker (seed 004): producers get ACK counts, consumers
// get batches they acknowledge as a whole, and closing a producer can drop what it still buffers.

export type Bytes = Uint8Array

/** What an application hands to `Producer.send`. Strings are encoded as UTF-8. */
export interface MessageInput {
  key?: string | Bytes | null
  /** `null` is a tombstone where the broker has them (Kafka compaction). */
  value: string | Bytes | null
  headers?: Record<string, string>
  /** Milliseconds since the epoch, or a Date; the broker's time when omitted. */
  timestamp?: number | Date
  /** Force a partition (queue); otherwise keyed messages hash, unkeyed ones spread. */
  partition?: number
}

/** A received message. */
export interface Message {
  readonly topic: string
  readonly partition: number
  /** Position in the partition where the broker has one (Kafka offset, RocketMQ queue offset). */
  readonly offset: number
  /**
   * Broker-neutral identity: an opaque string that `Consumer.seek` accepts where the broker can
   * seek, and that is stable across reconnects.
   */
  readonly id: string
  readonly key: Bytes | null
  readonly value: Bytes | null
  readonly headers: Readonly<Record<string, string>>
  /** Milliseconds since the epoch. */
  readonly timestamp: number
  /** How many times this message was delivered before (0 on first delivery), where known. */
  readonly redeliveryCount: number
  keyString(): string | null
  valueString(): string | null
}

export interface SendResult {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly id: string
}

export interface ProducerOptions {
  topic: string
  /** Maximum messages buffered locally before `send` waits and `trySend` returns false. */
  bufferSize?: number
  /** Called with the number of messages the broker acknowledged, in send order (libbeat ACK). */
  onAck?: (count: number) => void
  /** Driver-specific settings; each driver documents and validates its own. */
  [option: string]: unknown
}

export interface CloseProducerOptions {
  /** Drop messages still buffered locally instead of delivering them. Default false: drain. */
  drop?: boolean
}

export interface Producer {
  readonly topic: string
  /** Resolves when the broker acknowledged the message (or every message of the array). */
  send(message: MessageInput): Promise<SendResult>
  send(messages: readonly MessageInput[]): Promise<SendResult[]>
  /** Buffers the message and returns true, or returns false at once when the buffer is full. */
  trySend(message: MessageInput): boolean
  /** Resolves when everything sent so far was acknowledged. */
  flush(): Promise<void>
  /** Closes the producer; resolves with how many pending messages were dropped. */
  close(options?: CloseProducerOptions): Promise<number>
}

export type StartPosition = 'earliest' | 'latest' | number | Date

export interface ConsumerOptions {
  topic: string | readonly string[]
  /** Consumer group (Pulsar subscription); members of one group split the partitions. */
  group?: string
  /** Where a group with no committed position starts. Default 'latest'. */
  from?: StartPosition
  /** Most messages handed out in one batch. */
  maxBatch?: number
  /** Redeliver a batch not acknowledged within this time (where the driver supports it). */
  ackTimeoutMs?: number
  /** After this many deliveries a message goes to the dead-letter topic (where supported). */
  maxRedeliveries?: number
  deadLetterTopic?: string
  /** Driver-specific settings. */
  [option: string]: unknown
}

export interface Batch {
  readonly messages: readonly Message[]
  /** Marks every message of the batch consumed; the group position moves past them. */
  ack(): Promise<void>
  /** Asks for redelivery of every message of the batch. */
  nack(): Promise<void>
}

export interface RunOptions {
  /** How many messages are handled at once. Default 1. */
  concurrency?: number
  /** Messages with the same value of this are handled one after another, in order. Default 'partition'. */
  orderBy?: 'partition' | 'key' | 'none'
  /** Handle one message; a throw nacks it (redelivery), a return acks it. */
  handle(message: Message): Promise<void> | void
  signal?: AbortSignal
}

export interface Consumer extends AsyncIterable<Batch> {
  /** Handler form: runs until the consumer closes or the signal aborts. */
  run(options: RunOptions): Promise<void>
  /** Moves the position to a message id received earlier (where `capabilities.seek`). */
  seek(id: string): Promise<void>
  pause(): void
  resume(): void
  /** Stops fetching, commits what was acknowledged, leaves the group. */
  close(): Promise<void>
}

export interface TopicPartitionInfo {
  partition: number
  /** Leader broker where the broker has one. */
  leader?: string
  /** Oldest and next offsets where the broker has them. */
  earliest?: number
  latest?: number
  /** Ranges of the partition's log found damaged (the durable embedded broker), when there are any. */
  damaged?: DamagedRangeInfo[]
}

/** A damaged range of a partition's log: cut on open (`truncated`) or kept in place (`damaged`). */
export interface DamagedRangeInfo {
  kind: 'truncated' | 'damaged'
  /** Offsets it held: `from` inclusive, `to` exclusive; `to` is null for a cut tail (unknown end). */
  from: number
  to: number | null
  /** Bytes of `file` it covers, and why they failed their checks. */
  bytes: number
  file: string
  reason: string
}

export interface TopicDescription {
  name: string
  partitions: TopicPartitionInfo[]
  config?: Record<string, string>
}

export interface GroupPartitionLag {
  topic: string
  partition: number
  committed: number | null
  end: number
  lag: number
}

export interface GroupDescription {
  group: string
  state: string
  members: {
    id: string
    client?: string
    host?: string
    assignments: { topic: string; partition: number }[]
  }[]
  offsets: GroupPartitionLag[]
}

export interface CreateTopicOptions {
  partitions?: number
  replicationFactor?: number
  config?: Record<string, string>
}

/**
 * Where one partition ends at the moment it was asked, so that a reader can stop there (kcat's
 * `-e`, `conduit consume --exit-at-end`).
 */
export interface PartitionEnd {
  partition: number
  /** The partition held no message. */
  empty: boolean
  /** The offset after its last message, where the broker numbers messages. */
  next?: number
  /** Whether `message`, delivered from this partition, is its last message as of then, or newer. */
  reached(message: Message): boolean
}

export interface Admin {
  createTopic(name: string, options?: CreateTopicOptions): Promise<void>
  deleteTopic(name: string): Promise<void>
  listTopics(): Promise<string[]>
  describeTopic(name: string): Promise<TopicDescription>
  listGroups(): Promise<string[]>
  describeGroup(group: string): Promise<GroupDescription>
  /**
   * The end of every partition of a topic, now. Drivers whose describeTopic reports `earliest`
   * and `latest` offsets need not implement it (see core/partition-ends.ts); brokers without
   * offsets (Pulsar) do, from their own notion of a last message.
   */
  partitionEnds?(topic: string): Promise<PartitionEnd[]>
}

/**
 * What a driver can do; the conformance suite reads these instead of special-casing brokers
 * (libbeat brokertest, Watermill's universal tests).
 */
export interface Capabilities {
  /** Members of one group split partitions; different groups each get everything. */
  groups: boolean
  /** Ordering guaranteed to a single consumer. */
  ordering: 'partition' | 'key' | 'none'
  /** A consumer that starts late can replay from the earliest retained message. */
  history: boolean
  /** `Consumer.seek` works with ids from received messages. */
  seek: boolean
  /** `nack()` redelivers. */
  nack: boolean
  /** Ack timeout redelivers. */
  ackTimeout: boolean
  /** After maxRedeliveries a message goes to a dead-letter topic. */
  deadLetter: boolean
  /** `close({ drop: true })` removes messages not yet delivered to the broker. */
  dropOnClose: boolean
  /** Null values (tombstones) survive a round trip. */
  nullValues: boolean
  transactions: boolean
  /** Largest message value the driver accepts, in bytes. */
  maxMessageBytes: number
}

export interface Broker {
  readonly url: string
  readonly capabilities: Capabilities
  readonly admin: Admin
  producer(options: ProducerOptions): Promise<Producer>
  consumer(options: ConsumerOptions): Promise<Consumer>
  /** Closes consumers and producers first (draining producers), then connections. */
  close(): Promise<void>
}

export interface ConnectOptions {
  /** Driver-specific settings (TLS, credentials, timeouts); each driver documents its own. */
  [option: string]: unknown
}

/** A driver turns a URL of one of its schemes into a connected Broker. */
export interface Driver {
  readonly name: string
  readonly schemes: readonly string[]
  /** `url` is the full string as the user gave it (`file:./data` is not a WHATWG URL). */
  connect(url: string, options: ConnectOptions): Promise<Broker>
}

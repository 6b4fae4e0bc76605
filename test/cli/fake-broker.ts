// A small in-process Broker for the CLI's unit tests (argument handling, output formats, exit
// codes, per-message acks). It implements the common contract just far enough, and records what
// the CLI did (sends, acks, closes) so tests can assert on it. The real end-to-end tests run the
// CLI against the embedded broker instead.

import type {
  Admin,
  Batch,
  Broker,
  Capabilities,
  Consumer,
  ConsumerOptions,
  GroupDescription,
  Message,
  MessageInput,
  Producer,
  SendResult,
  TopicDescription,
} from '../../src/core/contract.ts'
import { BrokerError, ClosedError, ConfigError } from '../../src/core/errors.ts'
import { createMessage, toOptionalBytes, validateMessageInput } from '../../src/core/message.ts'
import { registerDriver } from '../../src/core/registry.ts'

export interface FakeState {
  topics: Map<string, Message[][]>
  /** group → "topic/partition" → next offset to deliver */
  committed: Map<string, Map<string, number>>
  closedBrokers: number
  /** Values for which send() rejects, to test the unacknowledged path. */
  rejectValues: Set<string>
  /** False: consumers never receive anything (a stalled broker). */
  deliver: boolean
  /** True: batches ignore the maxBatch option (a driver breaking the contract). */
  ignoreMaxBatch: boolean
  /** Consumers waiting for messages, woken by any connection's producer. */
  waiters: Set<() => void>
  maxMessageBytes: number
}

export function createFakeState(): FakeState {
  return {
    topics: new Map(),
    committed: new Map(),
    closedBrokers: 0,
    rejectValues: new Set(),
    deliver: true,
    ignoreMaxBatch: false,
    waiters: new Set(),
    maxMessageBytes: 1024,
  }
}

const capabilities = (state: FakeState): Capabilities => ({
  groups: true,
  ordering: 'partition',
  history: true,
  seek: false,
  nack: true,
  ackTimeout: false,
  deadLetter: false,
  dropOnClose: false,
  nullValues: true,
  transactions: false,
  maxMessageBytes: state.maxMessageBytes,
})

function partitionsOf(state: FakeState, topic: string): Message[][] {
  const partitions = state.topics.get(topic)
  if (!partitions) throw new BrokerError(3, 'UNKNOWN_TOPIC_OR_PARTITION', `topic "${topic}" does not exist`)
  return partitions
}

function fakeProducer(state: FakeState, topic: string, wake: () => void): Producer {
  let next = 0
  let closed = false
  const sendOne = (input: MessageInput): SendResult => {
    if (closed) throw new ClosedError('producer closed')
    validateMessageInput(input)
    const value = toOptionalBytes(input.value)
    if (value && value.length > state.maxMessageBytes) throw new ConfigError('too large')
    if (value && state.rejectValues.has(new TextDecoder().decode(value))) {
      throw new BrokerError(87, 'INVALID_RECORD', 'the broker refused this record')
    }
    const partitions = partitionsOf(state, topic)
    const partition = input.partition ?? next++ % partitions.length
    if (partition >= partitions.length) throw new ConfigError(`no partition ${partition}`)
    const log = partitions[partition]!
    const offset = log.length
    const id = `${partition}:${offset}`
    const fields = {
      topic,
      partition,
      offset,
      id,
      key: toOptionalBytes(input.key),
      value,
      timestamp: 1_767_225_600_000 + offset,
    }
    log.push(createMessage(input.headers ? { ...fields, headers: input.headers } : fields))
    wake()
    return { topic, partition, offset, id }
  }
  function send(message: MessageInput): Promise<SendResult>
  function send(messages: readonly MessageInput[]): Promise<SendResult[]>
  async function send(m: MessageInput | readonly MessageInput[]): Promise<SendResult | SendResult[]> {
    await Promise.resolve()
    return Array.isArray(m) ? m.map((x: MessageInput) => sendOne(x)) : sendOne(m as MessageInput)
  }
  return {
    topic,
    send,
    trySend: (m) => (sendOne(m), true),
    flush: async () => {},
    close: async () => {
      closed = true
      return 0
    },
  }
}

function fakeConsumer(state: FakeState, options: ConsumerOptions, waiters: Set<() => void>): Consumer {
  const topic = options.topic as string
  const partitions = partitionsOf(state, topic)
  const positions = options.group
    ? (state.committed.get(options.group) ?? new Map<string, number>())
    : new Map<string, number>()
  if (options.group) state.committed.set(options.group, positions)
  // Delivery position, ahead of the committed one while a message is out for handling.
  const delivered = new Map<string, number>()
  const startOf = (p: number): number =>
    positions.get(`${topic}/${p}`) ??
    (options.from === 'latest' ? partitions[p]!.length : typeof options.from === 'number' ? options.from : 0)
  for (let p = 0; p < partitions.length; p++) delivered.set(`${topic}/${p}`, startOf(p))
  let closed = false

  const nextMessage = async (signal?: AbortSignal): Promise<Message | undefined> => {
    for (;;) {
      if (closed || signal?.aborted) return undefined
      for (let p = 0; p < partitions.length && state.deliver; p++) {
        const at = delivered.get(`${topic}/${p}`)!
        const message = partitions[p]![at]
        if (message) {
          delivered.set(`${topic}/${p}`, at + 1)
          return message
        }
      }
      await new Promise<void>((resolve) => {
        waiters.add(resolve)
        signal?.addEventListener('abort', () => resolve(), { once: true })
      })
    }
  }
  const commit = (m: Message): void => {
    positions.set(`${m.topic}/${m.partition}`, m.offset + 1)
  }
  const redeliver = (m: Message): void => {
    const key = `${m.topic}/${m.partition}`
    delivered.set(key, Math.min(delivered.get(key)!, m.offset))
  }

  return {
    async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
      for (;;) {
        const first = await nextMessage()
        if (!first) return
        const messages = [first]
        while (messages.length < (state.ignoreMaxBatch ? 100 : (options.maxBatch ?? 100))) {
          const p = first.partition
          const m = partitions[p]![delivered.get(`${topic}/${p}`)!]
          if (!m) break
          delivered.set(`${topic}/${p}`, m.offset + 1)
          messages.push(m)
        }
        yield {
          messages,
          ack: async () => void messages.forEach(commit),
          nack: async () => void messages.forEach(redeliver),
        }
      }
    },
    async run(run) {
      for (;;) {
        const m = await nextMessage(run.signal)
        if (!m) return
        try {
          await run.handle(m)
          commit(m)
        } catch {
          redeliver(m)
        }
      }
    },
    seek: async () => {},
    pause: () => {},
    resume: () => {},
    close: async () => {
      closed = true
      for (const w of waiters) w()
    },
  }
}

function fakeAdmin(state: FakeState): Admin {
  return {
    async createTopic(name, options = {}) {
      if (state.topics.has(name))
        throw new BrokerError(36, 'TOPIC_ALREADY_EXISTS', `topic "${name}" already exists`)
      state.topics.set(
        name,
        Array.from({ length: options.partitions ?? 1 }, () => []),
      )
    },
    async deleteTopic(name) {
      partitionsOf(state, name)
      state.topics.delete(name)
    },
    listTopics: async () => [...state.topics.keys()],
    async describeTopic(name): Promise<TopicDescription> {
      const partitions = partitionsOf(state, name)
      return {
        name,
        partitions: partitions.map((log, partition) => ({ partition, earliest: 0, latest: log.length })),
        config: { 'retention.ms': '604800000', 'cleanup.policy': 'delete' },
      }
    },
    listGroups: async () => [...state.committed.keys()],
    async describeGroup(group): Promise<GroupDescription> {
      const committed = state.committed.get(group) ?? new Map<string, number>()
      const topics = new Set([...committed.keys()].map((key) => key.split('/')[0]!))
      const offsets = [...topics].flatMap((topic) =>
        partitionsOf(state, topic).map((log, partition) => {
          const position = committed.get(`${topic}/${partition}`) ?? null
          return { topic, partition, committed: position, end: log.length, lag: log.length - (position ?? 0) }
        }),
      )
      return { group, state: 'Empty', members: [], offsets }
    },
  }
}

/** Registers the `fake:` scheme on the shared registry, backed by `state`. */
export function registerFakeDriver(state: FakeState): void {
  registerDriver('fake', {
    name: 'fake',
    schemes: ['fake'],
    async connect(url): Promise<Broker> {
      const waiters = state.waiters
      const wake = (): void => {
        for (const w of [...waiters]) w()
        waiters.clear()
      }
      return {
        url,
        capabilities: capabilities(state),
        admin: fakeAdmin(state),
        producer: async (o) => fakeProducer(state, o.topic, wake),
        consumer: async (o) => fakeConsumer(state, o, waiters),
        close: async () => {
          state.closedBrokers++
          wake()
        },
      }
    },
  })
}

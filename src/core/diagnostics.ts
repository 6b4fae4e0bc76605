// Instrumentation through node:diagnostics_channel: APMs, loggers and tests subscribe by name,
// and a process with no subscriber pays only a boolean check per event — publish() builds the
// payload object only when someone listens, so hot paths (every request, every message) stay
// free of allocations by default.

import dc from 'node:diagnostics_channel'
import type { ConnectionState } from './connection-state.ts'

/** `conduit:connection:state` — a connection changed state. */
export interface ConnectionStateEvent {
  /** Which driver: 'kafka', 'pulsar', 'rocketmq', … */
  driver: string
  /** What the connection is, usually `host:port` (plus a broker id or purpose where useful). */
  connection: string
  from: ConnectionState
  to: ConnectionState
  /** Why, when the change was caused by a failure. */
  error?: Error
}

/** `conduit:request:start|end|error` — one request/response exchange with a broker. */
export interface RequestEvent {
  driver: string
  connection: string
  /** The protocol operation, e.g. `Produce v9`, `LOOKUP`, `SEND_MESSAGE_V2`. */
  operation: string
  /** The correlation id / request id / opaque that ties start, end and error together. */
  requestId: number | bigint | string
  /** On end and error: milliseconds since start. */
  durationMs?: number
  /** On error. */
  error?: Error
}

/** `conduit:message:send|receive` — messages handed to, or received from, a broker. */
export interface MessageEvent {
  driver: string
  topic: string
  partition?: number
  /** Messages in this event (a batch counts once with its size). */
  count: number
  /** Payload bytes, when known without extra work. */
  bytes?: number
}

/**
 * `conduit:consumer:offset-reset` — a group's position was no longer in the log (retention dropped
 * those records) and was reset by the consumer's `from` policy: the records in between were skipped.
 */
export interface OffsetResetEvent {
  driver: string
  group: string
  topic: string
  partition: number
  /** The position that was out of range. */
  from: number
  /** Where the group continues. */
  to: number
  /** The oldest offset still in the log. */
  earliest: number
  /** The `from` policy that chose `to`. */
  policy: string
}

/**
 * `conduit:error` — a failure in work that no caller awaits (a background commit or append), so it
 * cannot be thrown to anyone; what the driver does about it (usually: retry) is in `action`.
 */
export interface BackgroundErrorEvent {
  driver: string
  /** What failed, e.g. `commit after dead-lettering orders/0`. */
  operation: string
  /** What happens next, e.g. `retried in 1000 ms`. */
  action: string
  error: Error
}

/** `conduit:throttle` — the broker asked the client to hold back (a quota was exceeded). */
export interface ThrottleEvent {
  driver: string
  connection: string
  /** The operation whose response carried the throttle time. */
  operation: string
  /** How long the connection sends nothing more, in ms. */
  throttleMs: number
}

/**
 * `conduit:storage:damage` — the durable embedded broker found data it cannot trust, or acted on
 * it. Published for every truncated tail, damaged range kept in place, range a consumer skipped,
 * index rebuilt, offsets record skipped and group position reset; never for healthy data, so it is
 * rare and always worth a warning.
 */
export interface StorageDamageEvent {
  /**
   * - `truncated`: a torn tail of a partition's last segment was cut on open (`to` is null: the cut
   *   bytes held everything from `from` on that had been written).
   * - `damaged`: bytes that fail their checks, kept in place; reads stop at them (offsets `from` to `to`).
   * - `skipped`: a consumer with `skipDamaged` moved its group past a damaged range.
   * - `index-rebuilt`: a segment's `.index` disagreed with its log and was rebuilt from the log.
   * - `offsets-skipped`: a damaged record of `offsets.log` was skipped (a group may re-read messages).
   * - `offset-reset`: a group's committed offset lay past the end of the log; it restarts by its `from`.
   */
  kind: 'truncated' | 'damaged' | 'skipped' | 'index-rebuilt' | 'offsets-skipped' | 'offset-reset'
  /** The file concerned. */
  file: string
  topic?: string
  partition?: number
  group?: string
  /** Offsets concerned: `from` inclusive, `to` exclusive (null: unknown end). */
  from?: number
  to?: number | null
  /** Bytes of the file concerned (cut, skipped or kept damaged). */
  bytes?: number
  /** What was wrong, for people. */
  reason: string
}

/** A channel whose payload type is known, so publishers and subscribers agree on its shape. */
export interface TypedChannel<T> {
  readonly name: string
  readonly hasSubscribers: boolean
  publish(message: T): void
  subscribe(onMessage: (message: T, name: string | symbol) => void): void
  unsubscribe(onMessage: (message: T, name: string | symbol) => void): boolean
}

function typed<T>(name: string): TypedChannel<T> {
  return dc.channel(name) as unknown as TypedChannel<T>
}

export const channels = {
  connectionState: typed<ConnectionStateEvent>('conduit:connection:state'),
  requestStart: typed<RequestEvent>('conduit:request:start'),
  requestEnd: typed<RequestEvent>('conduit:request:end'),
  requestError: typed<RequestEvent>('conduit:request:error'),
  messageSend: typed<MessageEvent>('conduit:message:send'),
  messageReceive: typed<MessageEvent>('conduit:message:receive'),
  offsetReset: typed<OffsetResetEvent>('conduit:consumer:offset-reset'),
  backgroundError: typed<BackgroundErrorEvent>('conduit:error'),
  throttle: typed<ThrottleEvent>('conduit:throttle'),
  storageDamage: typed<StorageDamageEvent>('conduit:storage:damage'),
} as const

/** The name of the storage damage channel, for `diagnostics_channel.subscribe()`. */
export const STORAGE_DAMAGE_CHANNEL = 'conduit:storage:damage'

/** Publishes the payload `payloadFactory` builds, calling it only when the channel has subscribers. */
export function publish<T>(channel: TypedChannel<T>, payloadFactory: () => T): void {
  if (channel.hasSubscribers) channel.publish(payloadFactory())
}

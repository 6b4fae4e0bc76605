// One error hierarchy for every driver. Retry logic reads `retriable` and `code`, never message
// text. `instanceof` must keep working when two copies of Conduit are installed side by side
// (an application and a library each depending on it), so class identity is not enough: every
// error carries a registry-wide brand listing the kinds it is, and each class answers
// `instanceof` by looking its own kind up in that brand.

const KINDS = Symbol.for('conduit.error.kinds')

export interface ErrorDetails {
  /** Whether repeating the same operation later may succeed. */
  retriable?: boolean
  cause?: unknown
}

export class ConduitError extends Error {
  static readonly kind: string = 'ConduitError'
  /** A stable identifier such as `CONDUIT_TIMEOUT`; never changes between releases. */
  readonly code: string
  readonly retriable: boolean
  declare readonly [KINDS]: readonly string[]

  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.code = code
    this.retriable = details.retriable ?? false
    const kinds: string[] = []
    for (
      let c = new.target as unknown as { kind?: string } | null;
      c && c.kind;
      c = Object.getPrototypeOf(c)
    ) {
      if (!kinds.includes(c.kind)) kinds.push(c.kind)
    }
    Object.defineProperty(this, KINDS, { value: kinds, enumerable: false })
    this.name = kinds[0] ?? 'ConduitError'
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false
    const kinds = (value as { [KINDS]?: unknown })[KINDS]
    return Array.isArray(kinds) && kinds.includes(this.kind)
  }
}

/** Bytes from the wire (or a file) that do not follow the protocol. Never retriable on the same bytes. */
export class ProtocolError extends ConduitError {
  static override readonly kind: string = 'ProtocolError'
  constructor(message: string, details: ErrorDetails & { code?: string } = {}) {
    super(details.code ?? 'CONDUIT_PROTOCOL', message, details)
  }
}

/** The broker answered with an error code of its own. */
export class BrokerError extends ConduitError {
  static override readonly kind: string = 'BrokerError'
  /** The broker's numeric (Kafka, RocketMQ) or symbolic (Pulsar) error code. */
  readonly brokerCode: number | string
  /** The broker's own name for the error, e.g. `NOT_LEADER_OR_FOLLOWER`. */
  readonly brokerErrorName: string
  constructor(
    brokerCode: number | string,
    brokerErrorName: string,
    message: string,
    details: ErrorDetails & { code?: string } = {},
  ) {
    super(details.code ?? 'CONDUIT_BROKER', message, details)
    this.brokerCode = brokerCode
    this.brokerErrorName = brokerErrorName
  }
}

export class TimeoutError extends ConduitError {
  static override readonly kind: string = 'TimeoutError'
  constructor(message: string, details: ErrorDetails = {}) {
    super('CONDUIT_TIMEOUT', message, { retriable: true, ...details })
  }
}

/** The socket could not be opened, or died; whatever was in flight on it has an unknown outcome. */
export class ConnectionError extends ConduitError {
  static override readonly kind: string = 'ConnectionError'
  constructor(message: string, details: ErrorDetails & { code?: string } = {}) {
    super(details.code ?? 'CONDUIT_CONNECTION', message, { retriable: true, ...details })
  }
}

export class AuthenticationError extends ConduitError {
  static override readonly kind: string = 'AuthenticationError'
  constructor(message: string, details: ErrorDetails = {}) {
    super('CONDUIT_AUTHENTICATION', message, { retriable: false, ...details })
  }
}

/** A wrong option, URL or argument: fix the call, do not retry it. */
export class ConfigError extends ConduitError {
  static override readonly kind: string = 'ConfigError'
  constructor(message: string, details: ErrorDetails & { code?: string } = {}) {
    super(details.code ?? 'CONDUIT_CONFIG', message, { retriable: false, ...details })
  }
}

/** An operation on a producer, consumer, connection or broker that was already closed. */
export class ClosedError extends ConduitError {
  static override readonly kind: string = 'ClosedError'
  constructor(message: string, details: ErrorDetails = {}) {
    super('CONDUIT_CLOSED', message, { retriable: false, ...details })
  }
}

/** A local buffer is full and the caller asked not to wait. */
export class BufferFullError extends ConduitError {
  static override readonly kind: string = 'BufferFullError'
  constructor(message: string, details: ErrorDetails = {}) {
    super('CONDUIT_BUFFER_FULL', message, { retriable: true, ...details })
  }
}

export class MessageTooLargeError extends ConduitError {
  static override readonly kind: string = 'MessageTooLargeError'
  readonly size: number
  readonly limit: number
  constructor(size: number, limit: number, details: ErrorDetails = {}) {
    super(
      'CONDUIT_MESSAGE_TOO_LARGE',
      `message of ${size} bytes exceeds the limit of ${limit} bytes`,
      details,
    )
    this.size = size
    this.limit = limit
  }
}

/** The driver or broker does not offer this capability (see `Broker.capabilities`). */
export class UnsupportedError extends ConduitError {
  static override readonly kind: string = 'UnsupportedError'
  constructor(message: string, details: ErrorDetails = {}) {
    super('CONDUIT_UNSUPPORTED', message, { retriable: false, ...details })
  }
}

/** Another process holds the lock on a durable log directory. */
export class LockedError extends ConduitError {
  static override readonly kind: string = 'LockedError'
  constructor(message: string, details: ErrorDetails = {}) {
    super('CONDUIT_LOCKED', message, { retriable: true, ...details })
  }
}

/**
 * The operating system refused a file operation of the durable embedded broker: a full disk
 * (`ENOSPC`, retriable: it may succeed once space returns), a permission (`EACCES`, `EPERM`), a
 * path that is a directory or not one (`EISDIR`, `ENOTDIR`), an I/O error (`EIO`). Carries the
 * path, the system error code and a hint saying what to do.
 */
export class StorageError extends ConduitError {
  static override readonly kind: string = 'StorageError'
  /** The file or directory the operation was on. */
  readonly path: string
  /** The system error code, such as `ENOSPC`, or `undefined` when the failure was not the OS's. */
  readonly systemCode: string | undefined
  /** What the user can do about it. */
  readonly hint: string
  constructor(message: string, details: ErrorDetails & { path: string; systemCode?: string; hint: string }) {
    super('CONDUIT_STORAGE', message, details)
    this.path = details.path
    this.systemCode = details.systemCode
    this.hint = details.hint
  }
}

/**
 * A file of the durable embedded broker exists but cannot be trusted: it fails its checksum, does
 * not parse, or contradicts the log. Conduit never deletes or skips such data by itself; the error
 * names the file and the repair to run.
 */
export class CorruptDataError extends ConduitError {
  static override readonly kind: string = 'CorruptDataError'
  /** The damaged file. */
  readonly path: string
  /** What the user can run or do to repair it. */
  readonly hint: string
  /** When the damage is a range of a partition's log: which partition, and the offsets it held. */
  readonly range: DamagedOffsets | undefined
  constructor(
    message: string,
    details: ErrorDetails & { path: string; hint: string; range?: DamagedOffsets },
  ) {
    super('CONDUIT_CORRUPT_DATA', message, { retriable: false, ...details })
    this.path = details.path
    this.hint = details.hint
    this.range = details.range
  }
}

/**
 * What was asked for does not exist: a topic, a group, the data directory of a `file:` broker
 * opened with `create: false`. Not retriable: asking again finds nothing until someone creates it.
 */
export class NotFoundError extends ConduitError {
  static override readonly kind: string = 'NotFoundError'
  /** How to create it or find the right name, when the thrower knows. */
  readonly hint: string | undefined
  /** The missing file or directory, for a `file:` broker. */
  readonly path: string | undefined
  constructor(message: string, details: ErrorDetails & { hint?: string; path?: string } = {}) {
    super('CONDUIT_NOT_FOUND', message, { retriable: false, ...details })
    this.hint = details.hint
    this.path = details.path
  }
}

/** Offsets `from` (inclusive) to `to` (exclusive) of one partition, which a damaged file held. */
export interface DamagedOffsets {
  readonly topic: string
  readonly partition: number
  readonly from: number
  readonly to: number
}

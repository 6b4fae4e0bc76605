// The "consumer" embedded protocol: the bytes a classic-group consumer puts in JoinGroup
// protocol metadata (its subscription) and SyncGroup assignments. Each is an int16 version
// followed by a non-flexible struct of that version:
//   subscription v0 topics + userData, v1 + ownedPartitions (cooperative rebalancing),
//   v2 + generationId, v3 + rackId;  assignment v0-v3: assignedPartitions + userData.
// A member may send a version newer than ours: it is read with our newest schema and the
// unknown tail ignored, which is how the format is designed to evolve.

import { ProtocolError } from '../../core/errors.ts'
import { Reader } from './reader.ts'
import { f, list, type BodyOf, type InputOf } from './schema.ts'
import { compileStruct, type StructCodec } from './schema-codec.ts'
import { Writer } from './writer.ts'

const TOPIC_PARTITION = [f('topic', 'string', '0+'), f('partitions', '[]int32', '0+')] as const

/** The subscription's fields (exported for tools/kafka-schema-check). */
export const SUBSCRIPTION = [
  f('topics', '[]string', '0+'),
  f('userData', 'bytes', '0+', { nullable: '0+', default: null }),
  list('ownedPartitions', '1+', TOPIC_PARTITION),
  f('generationId', 'int32', '2+', { default: -1 }),
  f('rackId', 'string', '3+', { nullable: '3+', default: null }),
] as const

/** The assignment's fields (exported for tools/kafka-schema-check). */
export const ASSIGNMENT = [
  list('assignedPartitions', '0+', TOPIC_PARTITION),
  f('userData', 'bytes', '0+', { nullable: '0+', default: null }),
] as const

export const CONSUMER_PROTOCOL_MAX_VERSION = 3

export type ConsumerSubscription = BodyOf<typeof SUBSCRIPTION>
export type ConsumerSubscriptionInput = InputOf<typeof SUBSCRIPTION>
export type ConsumerAssignment = BodyOf<typeof ASSIGNMENT>
export type ConsumerAssignmentInput = InputOf<typeof ASSIGNMENT>

function codecs(fields: typeof SUBSCRIPTION | typeof ASSIGNMENT): StructCodec[] {
  return Array.from({ length: CONSUMER_PROTOCOL_MAX_VERSION + 1 }, (_, v) => compileStruct(fields, v, false))
}

const subscriptionCodecs = codecs(SUBSCRIPTION)
const assignmentCodecs = codecs(ASSIGNMENT)

function encode(codecsByVersion: StructCodec[], value: object, version: number): Uint8Array {
  const codec = codecsByVersion[version]
  if (codec === undefined) throw new ProtocolError(`consumer protocol version ${version} is not 0-3`)
  const w = new Writer(128)
  w.int16(version)
  codec.encode(w, value as Record<string, unknown>)
  return w.finish()
}

function decode(codecsByVersion: StructCodec[], bytes: Uint8Array, what: string): Record<string, unknown> {
  const r = new Reader(bytes)
  try {
    const version = r.int16()
    if (version < 0) throw new ProtocolError(`negative version ${version}`)
    const known = Math.min(version, CONSUMER_PROTOCOL_MAX_VERSION)
    const body = codecsByVersion[known]!.decode(r)
    if (version <= CONSUMER_PROTOCOL_MAX_VERSION && r.remaining !== 0) {
      throw new ProtocolError(`${r.remaining} trailing bytes`)
    }
    body.version = version
    return body
  } catch (e) {
    if (e instanceof ProtocolError) throw new ProtocolError(`consumer ${what}: ${e.message}`, { cause: e })
    throw e
  }
}

/** JoinGroup metadata for the "consumer" protocol type. */
export function encodeSubscription(
  sub: ConsumerSubscriptionInput,
  version = CONSUMER_PROTOCOL_MAX_VERSION,
): Uint8Array {
  return encode(subscriptionCodecs, sub, version)
}

export function decodeSubscription(bytes: Uint8Array): ConsumerSubscription & { version: number } {
  return decode(subscriptionCodecs, bytes, 'subscription') as ConsumerSubscription & { version: number }
}

/** A SyncGroup assignment for the "consumer" protocol type. */
export function encodeAssignment(
  a: ConsumerAssignmentInput,
  version = CONSUMER_PROTOCOL_MAX_VERSION,
): Uint8Array {
  return encode(assignmentCodecs, a, version)
}

/** Decodes an assignment; an empty byte string (a member left without partitions) is no partitions. */
export function decodeAssignment(bytes: Uint8Array): ConsumerAssignment & { version: number } {
  if (bytes.length === 0) return { assignedPartitions: [], userData: null, version: 0 }
  return decode(assignmentCodecs, bytes, 'assignment') as ConsumerAssignment & { version: number }
}

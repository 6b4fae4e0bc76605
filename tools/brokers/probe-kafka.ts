// Readiness probe for Kafka: one Metadata (v4) round trip on a PLAINTEXT listener, returning the
// brokers the cluster advertises. A KRaft broker only answers Metadata with itself listed once it
// has registered with the controller quorum and caught up, which is what "ready" means for tests.
//
// Metadata v4 request  (header v1): api_key int16 = 3, api_version int16 = 4, correlation_id int32,
//   client_id string(int16 length) | topics array(int32 count; 0 = none) | allow_auto_topic_creation int8
// Metadata v4 response (header v0): correlation_id int32 | throttle_time_ms int32 |
//   brokers array [node_id int32, host string, port int32, rack nullable string] | …
import { lengthPrefixedRoundTrip } from './probe-round-trip.ts'

export interface KafkaBrokerAddress {
  nodeId: number
  host: string
  port: number
}

export async function kafkaMetadataBrokers(port: number, timeoutMs = 3000): Promise<KafkaBrokerAddress[]> {
  const clientId = Buffer.from('conduit-probe')
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4 + 1)
  let o = 0
  o = body.writeInt16BE(3, o)
  o = body.writeInt16BE(4, o)
  o = body.writeInt32BE(7, o)
  o = body.writeInt16BE(clientId.length, o)
  o += clientId.copy(body, o)
  o = body.writeInt32BE(0, o)
  body.writeInt8(0, o)
  const frame = Buffer.alloc(4 + body.length)
  frame.writeInt32BE(body.length, 0)
  body.copy(frame, 4)

  const response = await lengthPrefixedRoundTrip(port, frame, {
    what: 'Metadata',
    timeoutMs,
    maxLength: 1 << 20,
  })
  return parseBrokers(response)
}

function parseBrokers(response: Buffer): KafkaBrokerAddress[] {
  let o = 8 // correlation_id + throttle_time_ms
  const count = response.readInt32BE(o)
  o += 4
  if (count < 0 || count > 1000) throw new Error(`implausible broker count ${count}`)
  const brokers: KafkaBrokerAddress[] = []
  for (let i = 0; i < count; i++) {
    const nodeId = response.readInt32BE(o)
    const hostLength = response.readInt16BE(o + 4)
    const host = response.toString('utf8', o + 6, o + 6 + hostLength)
    o += 6 + hostLength
    const port = response.readInt32BE(o)
    const rackLength = response.readInt16BE(o + 4)
    o += 6 + Math.max(rackLength, 0)
    brokers.push({ nodeId, host, port })
  }
  return brokers
}

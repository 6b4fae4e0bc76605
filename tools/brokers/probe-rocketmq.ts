// Readiness probe for RocketMQ: asks the name server for its cluster table
// (GET_BROKER_CLUSTER_INFO, request code 106) and reports whether a broker address is registered.
// A broker is usable by clients only once the name server routes to it.
//
// Remoting frame: int32 length (of everything after it) | int32 (serialize type << 24 | header
// length) | header (JSON: code, language, version, opaque, flag, extFields) | body.
import { lengthPrefixedRoundTrip } from './probe-round-trip.ts'

const GET_BROKER_CLUSTER_INFO = 106

export async function rocketmqClusterInfo(namesrvPort: number, timeoutMs = 3000): Promise<string> {
  const header = Buffer.from(
    JSON.stringify({
      code: GET_BROKER_CLUSTER_INFO,
      language: 'JAVA',
      version: 0,
      opaque: 1,
      flag: 0,
      extFields: {},
    }),
  )
  const frame = Buffer.alloc(8 + header.length)
  frame.writeInt32BE(4 + header.length, 0)
  frame.writeInt32BE(header.length, 4) // serialize type 0 = JSON
  header.copy(frame, 8)

  const response = await lengthPrefixedRoundTrip(namesrvPort, frame, {
    what: 'cluster info',
    timeoutMs,
    minLength: 4,
    maxLength: 16 << 20,
  })
  const headerLength = response.readInt32BE(0) & 0xffffff
  const responseHeader = JSON.parse(response.toString('utf8', 4, 4 + headerLength)) as {
    code: number
    remark?: string
  }
  if (responseHeader.code !== 0)
    throw new Error(`name server answered code ${responseHeader.code}: ${responseHeader.remark ?? ''}`)
  return response.toString('utf8', 4 + headerLength)
}

/** True when the name server lists a broker at `127.0.0.1:<brokerPort>`. */
export async function rocketmqBrokerRegistered(namesrvPort: number, brokerPort: number): Promise<boolean> {
  const body = await rocketmqClusterInfo(namesrvPort)
  return body.includes(`127.0.0.1:${brokerPort}"`)
}

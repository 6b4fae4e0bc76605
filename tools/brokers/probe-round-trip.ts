// One request/response round trip on a fresh loopback connection, for the readiness probes of the
// brokers whose frames start with an int32 length (Kafka and RocketMQ remoting): write the frame,
// read exactly one length-prefixed response and close. Kept apart from src/ on purpose: the tools
// must keep working while a driver under test is broken.
import { connect } from 'node:net'

export interface RoundTripOptions {
  /** Names the request in error messages ("Metadata", "cluster info"). */
  what: string
  timeoutMs: number
  /** The largest response length believed; anything else is an implausible frame. */
  maxLength: number
  /** The smallest response length believed. */
  minLength?: number
}

/** Sends `frame` to 127.0.0.1:`port` and resolves with the response frame without its length prefix. */
export function lengthPrefixedRoundTrip(
  port: number,
  frame: Buffer,
  options: RoundTripOptions,
): Promise<Buffer> {
  const { what, timeoutMs, maxLength, minLength = 0 } = options
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    const timer = setTimeout(() => fail(new Error(`${what} probe timed out`)), timeoutMs)
    let received = Buffer.alloc(0)
    const fail = (error: Error): void => {
      clearTimeout(timer)
      socket.destroy()
      reject(error)
    }
    socket.once('error', fail)
    socket.once('close', () => fail(new Error(`connection closed before the ${what} response`)))
    socket.once('connect', () => socket.write(frame))
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      if (received.length < 4) return
      const length = received.readInt32BE(0)
      if (length < minLength || length > maxLength)
        return fail(new Error(`implausible ${what} response length ${length}`))
      if (received.length < 4 + length) return
      clearTimeout(timer)
      socket.removeAllListeners('close')
      socket.destroy()
      resolve(received.subarray(4, 4 + length))
    })
  })
}

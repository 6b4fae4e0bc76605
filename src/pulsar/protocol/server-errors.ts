// Broker error codes (ServerError) as typed Conduit errors. Retriable codes are those where a
// later attempt, usually after a fresh lookup, can succeed.

import { AuthenticationError, BrokerError } from '../../core/errors.ts'
import type { ConduitError } from '../../core/errors.ts'
import { ServerError } from './generated/pulsar-api_pb.ts'

const RETRIABLE = new Set<number>([
  ServerError.ServiceNotReady,
  ServerError.MetadataError,
  ServerError.PersistenceError,
  ServerError.TooManyRequests,
  ServerError.UnknownError,
  ServerError.ConsumerBusy,
  ServerError.ProducerBusy,
])

export function serverErrorName(code: number): string {
  for (const [name, value] of Object.entries(ServerError)) if (value === code) return name
  return `ServerError(${code})`
}

export function brokerError(code: number, message: string, what: string): ConduitError {
  const name = serverErrorName(code)
  if (code === ServerError.AuthenticationError) return new AuthenticationError(`${what}: ${message}`)
  return new BrokerError(name, name, `${what}: ${name}: ${message}`, { retriable: RETRIABLE.has(code) })
}

export { ServerError }

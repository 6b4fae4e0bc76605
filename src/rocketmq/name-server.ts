// Requests to the name servers, with failover: a request goes to the name server that answered
// last; when it cannot be reached the next one in the list is tried, so losing one name server
// (or restarting it) costs one failed connect, not an outage.

import { ConfigError, ConnectionError, TimeoutError } from '../core/errors.ts'
import { RemotingConnection, type ConnectionOptions } from './connection.ts'
import { RequestCode, ResponseCode } from './protocol/codes.ts'
import { createRequest, type RemotingCommand } from './protocol/remoting-command.ts'
import { decodeClusterInfo, decodeTopicRoute, type ClusterInfo, type TopicRoute } from './protocol/route.ts'
import { brokerErrorOf } from './connection.ts'
import { parseJavaJson } from './protocol/java-json.ts'

export class NameServers {
  readonly addresses: readonly string[]
  readonly #connections: RemotingConnection[]
  #current = 0

  constructor(addresses: readonly string[], options: Omit<ConnectionOptions, 'address' | 'mapAddress'>) {
    if (addresses.length === 0) throw new ConfigError('at least one name server address is needed')
    this.addresses = addresses
    // Name servers are addressed as configured; mapAddress only applies to broker addresses.
    this.#connections = addresses.map((address) => new RemotingConnection({ ...options, address }))
  }

  /** Sends to the current name server, failing over on connection errors and timeouts. */
  async request(build: () => RemotingCommand, what: string, timeoutMs?: number): Promise<RemotingCommand> {
    let lastError: unknown
    for (let i = 0; i < this.#connections.length; i++) {
      const index = (this.#current + i) % this.#connections.length
      try {
        const response = await this.#connections[index]!.request(
          build(),
          timeoutMs,
          `${what} (name server ${this.addresses[index]})`,
        )
        this.#current = index
        return response
      } catch (err) {
        if (!(err instanceof ConnectionError) && !(err instanceof TimeoutError)) throw err
        lastError = err
      }
    }
    // The last failure goes into the message: "certificate not trusted" must not hide in `cause`.
    const why = lastError instanceof Error ? `: ${lastError.message}` : ''
    throw new ConnectionError(`${what}: no name server reachable (${this.addresses.join(';')})${why}`, {
      cause: lastError,
    })
  }

  /** The route of a topic, or undefined when the name server does not know it (TOPIC_NOT_EXIST). */
  async topicRoute(topic: string): Promise<TopicRoute | undefined> {
    const response = await this.request(
      () => createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }),
      `route of ${topic}`,
    )
    if (response.code === ResponseCode.TOPIC_NOT_EXIST) return undefined
    if (response.code !== ResponseCode.SUCCESS) throw brokerErrorOf(response, `route of ${topic}`)
    return decodeTopicRoute(response.body)
  }

  async clusterInfo(): Promise<ClusterInfo> {
    const response = await this.request(
      () => createRequest(RequestCode.GET_BROKER_CLUSTER_INFO),
      'cluster info',
    )
    if (response.code !== ResponseCode.SUCCESS) throw brokerErrorOf(response, 'cluster info')
    return decodeClusterInfo(response.body)
  }

  async allTopics(): Promise<string[]> {
    const response = await this.request(
      () => createRequest(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
      'topic list',
    )
    if (response.code !== ResponseCode.SUCCESS) throw brokerErrorOf(response, 'topic list')
    const body = parseJavaJson<{ topicList?: unknown }>(response.body, 'topic list')
    return Array.isArray(body.topicList)
      ? body.topicList.filter((t): t is string => typeof t === 'string')
      : []
  }

  async deleteTopic(topic: string, clusterName?: string): Promise<void> {
    const response = await this.request(
      () => createRequest(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic, clusterName }),
      `delete ${topic} on name server`,
    )
    if (response.code !== ResponseCode.SUCCESS)
      throw brokerErrorOf(response, `delete ${topic} on name server`)
  }

  async close(): Promise<void> {
    await Promise.all(this.#connections.map((c) => c.close()))
  }
}

// `conduit-mq/kafka`: the Kafka driver (kafka://, kafka+ssl://) and the native Kafka API.

import type { Broker, ConnectOptions, Driver } from '../core/contract.ts'
import { KafkaBroker } from './broker.ts'
import { clusterOptionsFrom, type KafkaClientOptions } from './client-options.ts'
import { KafkaCluster } from './cluster.ts'

export { KafkaAdmin, type ClusterDescription, type ConfigResource, type OffsetResetSpec } from './admin.ts'
export { KafkaBroker, KAFKA_CAPABILITIES } from './broker.ts'
export type { KafkaClientOptions, SaslOptions } from './client-options.ts'
export {
  KafkaCluster,
  parseBrokerList,
  type BrokerAddress,
  type ClusterOptions,
  type TopicInfo,
} from './cluster.ts'
export { KafkaConnection } from './connection.ts'
export {
  KafkaConsumer,
  type KafkaBatch,
  type RebalanceListener,
  type TopicPartition,
} from './consumer/consumer.ts'
export type { KafkaConsumerConfig } from './consumer/options.ts'
export {
  cooperativeStickyAssignor,
  rangeAssignor,
  roundRobinAssignor,
  type Assignor,
} from './consumer/assignors/index.ts'
export { KafkaProducer, type ProducerRecord, type RecordMetadata } from './producer/producer.ts'
export type { KafkaProducerConfig } from './producer/options.ts'
export type { PartitionContext, CustomPartitioner } from './producer/partitioner.ts'

/** Opens a Kafka client: fetches cluster metadata through the bootstrap addresses. */
export async function connectKafka(url: string, options: KafkaClientOptions = {}): Promise<KafkaBroker> {
  const cluster = new KafkaCluster(clusterOptionsFrom(url, options))
  try {
    await cluster.connect()
  } catch (err) {
    await cluster.close()
    throw err
  }
  return new KafkaBroker(url, cluster)
}

export const kafkaDriver: Driver = {
  name: 'kafka',
  schemes: ['kafka', 'kafka+ssl'],
  connect(url: string, options: ConnectOptions): Promise<Broker> {
    return connectKafka(url, options as KafkaClientOptions)
  },
}

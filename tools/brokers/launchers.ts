// Broker kind → the family that knows how to run it.
import { kafkaLauncher } from './kafka.ts'
import type { Launcher } from './launcher.ts'
import { pulsarLauncher } from './pulsar.ts'
import { rocketmqLauncher } from './rocketmq.ts'
import { rocketmqMtlsLauncher } from './rocketmq-mtls.ts'
import { rocketmqClusterLauncher } from './rocketmq-cluster.ts'
import type { BrokerKind } from './types.ts'

export const LAUNCHERS: Record<BrokerKind, Launcher> = {
  kafka: kafkaLauncher,
  'kafka-cluster': kafkaLauncher,
  'kafka-sasl': kafkaLauncher,
  'kafka-tls': kafkaLauncher,
  pulsar: pulsarLauncher,
  'pulsar-auth': pulsarLauncher,
  'pulsar-tls': pulsarLauncher,
  rocketmq: rocketmqLauncher,
  'rocketmq-acl': rocketmqLauncher,
  'rocketmq-cluster': rocketmqClusterLauncher,
  'rocketmq-tls': rocketmqLauncher,
  'rocketmq-mtls': rocketmqMtlsLauncher,
}

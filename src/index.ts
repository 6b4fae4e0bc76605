// Public entry: connect(), the contract types, the errors. Importing `conduit-mq` registers every
// built-in scheme; network drivers are imported only when a URL of theirs is first used.

import { registerDriver } from './core/registry.ts'

// Each driver adds its line here when it lands:
registerDriver(['memory', 'file'], async () => (await import('./memory/index.ts')).memoryDriver)
registerDriver(['pulsar', 'pulsar+ssl'], async () => (await import('./pulsar/index.ts')).pulsarDriver)
registerDriver(['kafka', 'kafka+ssl'], async () => (await import('./kafka/index.ts')).kafkaDriver)
registerDriver(['rocketmq'], async () => (await import('./rocketmq/index.ts')).rocketmqDriver)
registerDriver(['ws', 'wss'], async () => (await import('./pulsar-ws/index.ts')).pulsarWsDriver)

export { connect, registerDriver, findDriver, registeredSchemes, schemeOf } from './core/registry.ts'
export { createMessage, toBytes, utf8 } from './core/message.ts'
export type * from './core/contract.ts'
export * from './core/errors.ts'

// `conduit-mq/memory`: the embedded broker, for `memory:` and `file:<dir>` URLs. See config.ts for the
// URL forms and options, producer.ts and consumer.ts for the delivery semantics, file/store.ts for
// what "acknowledged" means on disk.

import type { ConnectOptions, Driver } from '../core/contract.ts'
import { MemoryBroker } from './broker.ts'
import { parseMemoryUrl } from './config.ts'
import { leaseEngine } from './engines.ts'

export const memoryDriver: Driver = {
  name: 'memory',
  schemes: ['memory', 'file'],
  async connect(url: string, options: ConnectOptions = {}): Promise<MemoryBroker> {
    const settings = parseMemoryUrl(url, options)
    return new MemoryBroker(url, settings, leaseEngine(settings))
  },
}

export { MemoryBroker }
export { StorageError } from '../core/errors.ts'
export type { MemorySettings } from './config.ts'
export { formatMessageId, parseMessageId } from './message.ts'
export { repairTopic } from './file/repair.ts'
export type { RepairTopicOptions, RepairTopicResult } from './file/repair.ts'
export { STORAGE_DAMAGE_CHANNEL } from '../core/diagnostics.ts'
export type { StorageDamageEvent } from '../core/diagnostics.ts'
export type { DamagedRange } from './file/damage.ts'

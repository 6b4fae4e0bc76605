// What a scenario module hands the suite: named scenarios and whether the driver's capabilities
// make each one applicable (a scenario that does not apply is reported, never silently passed).

import type { Capabilities } from '../../core/contract.ts'
import type { Scenario } from '../harness.ts'

export interface ScenarioDefinition {
  name: string
  run: (s: Scenario) => Promise<void>
  /** Why it does not apply to this driver, or undefined when it does. */
  notApplicable?: string | undefined
}

export type ScenarioModule = (capabilities: Capabilities) => ScenarioDefinition[]

// conformanceSuite(): registers the shared scenarios as node:test tests against any broker URL.
// The driver's capability flags decide which scenarios apply (libbeat brokertest, Watermill's
// universal tests); the ones that do not apply are listed by the capabilities test, not hidden.
//
// Requirements on the URL: every connect() to it must reach the same broker (use `memory:<name>`,
// not bare `memory:`, which is a fresh broker each time). Each scenario makes its own uniquely
// named topics and groups, because network brokers are shared between test files and people.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Capabilities, ConnectOptions } from '../core/contract.ts'
import { connect } from '../index.ts'
import { Scenario, within } from './harness.ts'
import type { SuiteSettings } from './harness.ts'
import { resolveSeed } from './random.ts'
import { acknowledgementScenarios } from './scenarios/acknowledgement.ts'
import { closingScenarios } from './scenarios/closing.ts'
import { deliveryScenarios } from './scenarios/delivery.ts'
import { groupScenarios } from './scenarios/groups.ts'
import { historyScenarios } from './scenarios/history.ts'
import { reconnectScenarios } from './scenarios/reconnect.ts'
import type { ScenarioDefinition } from './scenarios/types.ts'

export interface ConformanceOptions {
  /** The broker URL, or a function giving it (called for every connect). */
  url: string | (() => string)
  connectOptions?: ConnectOptions
  /** Restarts the broker (same address and data); enables the reconnect scenario. */
  restart?: () => Promise<void>
  /** The seed for every random choice; default CONDUIT_SEED, else random. Always printed. */
  seed?: number
  /** Multiplies message counts: below 1 for slow brokers. Default 1. */
  scale?: number
  /** Longest wait for one expected event, in ms. Default 30 000. */
  waitMs?: number
  /** Prefix of the describe() title, e.g. the driver name. */
  name?: string
}

const ORDERINGS = ['partition', 'key', 'none']

export function conformanceSuite(options: ConformanceOptions): void {
  const seed = resolveSeed(options.seed)
  const scale = options.scale ?? 1
  if (!(scale > 0))
    throw new Error(`conformanceSuite: scale must be a positive number, got ${String(options.scale)}`)
  const urlOption = options.url
  const settings: SuiteSettings = {
    url: typeof urlOption === 'function' ? urlOption : () => urlOption,
    connectOptions: options.connectOptions ?? {},
    restart: options.restart,
    seed,
    scale,
    waitMs: options.waitMs ?? 30_000,
  }
  const title = `${options.name ?? 'conformance'} (seed ${seed}; rerun with CONDUIT_SEED=${seed})`
  console.log(`conduit conformance suite: seed ${seed} — rerun with CONDUIT_SEED=${seed}`)
  const testTimeout = settings.waitMs * 6

  void describe(title, async () => {
    // Capabilities come from a real connection, so a broker that is not there fails the suite here.
    const probe = await within(connect(settings.url(), settings.connectOptions), settings.waitMs, 'connect()')
    const capabilities = probe.capabilities
    await probe.close()

    const scenarios: ScenarioDefinition[] = [
      ...deliveryScenarios(capabilities),
      ...acknowledgementScenarios(capabilities),
      ...closingScenarios(capabilities),
      ...groupScenarios(capabilities),
      ...historyScenarios(capabilities),
      ...reconnectScenarios(settings.restart)(capabilities),
    ]
    const notApplicable = scenarios.filter((s) => s.notApplicable !== undefined)

    void test('capabilities are declared completely', (t) => {
      checkCapabilities(capabilities)
      t.diagnostic(`capabilities: ${JSON.stringify(capabilities)}`)
      for (const s of notApplicable) t.diagnostic(`not run: "${s.name}" — ${s.notApplicable}`)
    })

    for (const definition of scenarios) {
      if (definition.notApplicable !== undefined) continue
      void test(definition.name, { timeout: testTimeout }, async (t) => {
        const scenario = new Scenario(settings, t, definition.name)
        try {
          await definition.run(scenario)
        } finally {
          await scenario.cleanup()
        }
      })
    }
  })
}

function checkCapabilities(c: Capabilities): void {
  for (const flag of [
    'groups',
    'history',
    'seek',
    'nack',
    'ackTimeout',
    'deadLetter',
    'dropOnClose',
    'nullValues',
    'transactions',
  ] as const) {
    assert.equal(typeof c[flag], 'boolean', `capabilities.${flag} is a boolean`)
  }
  assert.ok(ORDERINGS.includes(c.ordering), `capabilities.ordering is one of ${ORDERINGS.join(', ')}`)
  assert.ok(
    Number.isInteger(c.maxMessageBytes) && c.maxMessageBytes > 0,
    'capabilities.maxMessageBytes is a positive integer',
  )
}

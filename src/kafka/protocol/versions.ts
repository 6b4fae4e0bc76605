// Version negotiation: what this codec implements, and the version to use with a given broker.

import { UnsupportedError } from '../../core/errors.ts'
import { apiName } from './api-keys.ts'
import { SCHEMAS } from './apis.ts'
import { parseVersions } from './schema.ts'

export interface VersionRange {
  min: number
  max: number
}

/** The versions of `apiKey` this codec implements; throws UnsupportedError for an unknown API. */
export function clientVersionRange(apiKey: number): VersionRange {
  const schema = SCHEMAS.get(apiKey)
  if (schema === undefined)
    throw new UnsupportedError(`Kafka ${apiName(apiKey)} is not supported by this client (no schema for it)`)
  const { min, max } = parseVersions(schema.versions)
  return { min, max }
}

/** The highest version both sides serve; throws UnsupportedError naming the API when none is common. */
export function pickVersion(apiKey: number, brokerRange: VersionRange): number {
  const ours = clientVersionRange(apiKey)
  const top = Math.min(ours.max, brokerRange.max)
  if (top < ours.min || top < brokerRange.min) {
    throw new UnsupportedError(
      `Kafka ${apiName(apiKey)}: the broker serves versions ${brokerRange.min}-${brokerRange.max}, ` +
        `this client implements ${ours.min}-${ours.max}`,
    )
  }
  return top
}

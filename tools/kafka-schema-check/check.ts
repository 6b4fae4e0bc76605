// Cross-checks the hand-written schema transcriptions (src/kafka/protocol/schemas/) against
// Apache Kafka's message specs, version by version: for every version this codec implements,
// the fields present, their order, type, nullability, tag and default must match the spec.
// It reads the spec files from a local Kafka checkout; nothing is copied from them.
//
//   npx node tools/kafka-schema-check/check.ts <kafka checkout>/clients/src/main/resources/common/message

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SCHEMAS } from '../../src/kafka/protocol/apis.ts'
import {
  ASSIGNMENT,
  CONSUMER_PROTOCOL_MAX_VERSION,
  SUBSCRIPTION,
} from '../../src/kafka/protocol/consumer-protocol.ts'
import { inVersions, parseVersions, type FieldSpec } from '../../src/kafka/protocol/schema.ts'

interface SpecField {
  name: string
  type: string
  versions: string
  nullableVersions?: string
  taggedVersions?: string
  tag?: number
  default?: string | number | boolean
  fields?: SpecField[]
}

interface SpecFile {
  name: string
  apiKey?: number
  validVersions: string
  flexibleVersions: string
  fields: SpecField[]
  commonStructs?: { name: string; fields: SpecField[] }[]
}

const dir = process.argv[2]
if (!dir) {
  console.error('usage: check.ts <path to clients/src/main/resources/common/message>')
  process.exit(2)
}

function load(file: string): SpecFile {
  // The spec files are JSON with // comments.
  const text = readFileSync(join(dir!, file), 'utf8').replace(/^\s*\/\/.*$/gm, '')
  return JSON.parse(text) as SpecFile
}

const camel = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1)
const PRIMITIVES = new Set([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'bytes',
  'records',
  'uuid',
])

function specDefault(f: SpecField, type: string): unknown {
  if (f.default === undefined) return undefined
  const d = f.default
  if (d === 'null') return null
  if (type === 'bool') return d === true || d === 'true'
  if (type === 'int64') return BigInt(d)
  if (type === 'string') return String(d)
  if (['int8', 'int16', 'int32', 'uint16', 'uint32', 'float64'].includes(type)) return Number(d)
  return undefined
}

const problems: string[] = []

function compare(
  spec: SpecField[],
  ours: readonly FieldSpec[],
  version: number,
  flexible: boolean,
  common: Map<string, SpecField[]>,
  path: string,
): void {
  const present = (f: { versions: string; tag?: number; taggedVersions?: string }): boolean =>
    inVersions(f.versions, version) && (f.tag === undefined || flexible)
  const specFields = spec.filter(present)
  const ourFields = ours.filter(present)
  const specNames = specFields.map((f) => camel(f.name))
  const ourNames = ourFields.map((f) => f.name)
  if (specNames.join(',') !== ourNames.join(',')) {
    problems.push(
      `${path} v${version}: fields [${ourNames.join(', ')}] but the spec has [${specNames.join(', ')}]`,
    )
    return
  }
  specFields.forEach((sf, i) => {
    const of = ourFields[i]!
    const where = `${path}.${of.name} v${version}`
    const array = sf.type.startsWith('[]')
    const base = array ? sf.type.slice(2) : sf.type
    const isStruct = !PRIMITIVES.has(base)
    if (of.array !== array) problems.push(`${where}: array ${of.array}, spec ${array}`)
    if (isStruct !== (of.type === 'struct')) problems.push(`${where}: type ${of.type}, spec ${sf.type}`)
    if (!isStruct && of.type !== base) problems.push(`${where}: type ${of.type}, spec ${base}`)
    if (inVersions(sf.nullableVersions, version) !== inVersions(of.nullable, version)) {
      problems.push(
        `${where}: nullable ${inVersions(of.nullable, version)}, spec ${inVersions(sf.nullableVersions, version)}`,
      )
    }
    if ((sf.tag ?? null) !== (of.tag ?? null)) problems.push(`${where}: tag ${of.tag}, spec ${sf.tag}`)
    if (!isStruct && !array) {
      const d = specDefault(sf, base)
      if (d !== undefined && of.default !== undefined && d !== of.default) {
        problems.push(`${where}: default ${String(of.default)}, spec ${String(d)}`)
      }
      if (
        d !== undefined &&
        d !== null &&
        of.default === undefined &&
        d !== 0 &&
        d !== 0n &&
        d !== false &&
        d !== ''
      ) {
        problems.push(`${where}: no default, spec default ${String(d)}`)
      }
    }
    if (isStruct) {
      const sub = sf.fields ?? common.get(base)
      if (!sub) problems.push(`${where}: spec struct ${base} not found`)
      else compare(sub, of.fields ?? [], version, flexible, common, `${path}.${of.name}`)
    }
  })
}

let checked = 0
for (const schema of SCHEMAS.values()) {
  for (const side of ['Request', 'Response'] as const) {
    const spec = load(`${schema.name}${side}.json`)
    if (spec.apiKey !== schema.apiKey)
      problems.push(`${schema.name}${side}: api key ${schema.apiKey}, spec ${spec.apiKey}`)
    const valid = parseVersions(spec.validVersions)
    const ours = parseVersions(schema.versions)
    if (ours.min < valid.min || ours.max > valid.max) {
      problems.push(`${schema.name}: versions ${schema.versions} outside the spec's ${spec.validVersions}`)
    }
    const common = new Map((spec.commonStructs ?? []).map((s) => [s.name, s.fields]))
    for (let v = ours.min; v <= ours.max; v++) {
      const flexible = inVersions(spec.flexibleVersions, v)
      if (flexible !== inVersions(schema.flexible, v))
        problems.push(`${schema.name} v${v}: flexible mismatch`)
      compare(
        spec.fields,
        side === 'Request' ? schema.request : schema.response,
        v,
        flexible,
        common,
        `${schema.name}${side}`,
      )
      checked++
    }
  }
}

// The embedded consumer-protocol formats: non-flexible structs, versions 0..max.
for (const [file, fields] of [
  ['ConsumerProtocolSubscription.json', SUBSCRIPTION],
  ['ConsumerProtocolAssignment.json', ASSIGNMENT],
] as const) {
  const spec = load(file)
  const common = new Map((spec.commonStructs ?? []).map((s) => [s.name, s.fields]))
  if (parseVersions(spec.validVersions).max < CONSUMER_PROTOCOL_MAX_VERSION)
    problems.push(`${file}: max version`)
  for (let v = 0; v <= CONSUMER_PROTOCOL_MAX_VERSION; v++) {
    compare(spec.fields, fields, v, false, common, file.replace('.json', ''))
    checked++
  }
}

for (const p of problems) console.log(p)
console.log(`${checked} (api, version, direction) schemas checked, ${problems.length} problems`)
process.exit(problems.length === 0 ? 0 : 1)

// The vocabulary the schema transcriptions in ./schemas/ are written in.
//
// Each Kafka API's request and response is a tree of fields with the version range each field
// exists in, the versions in which it may be null, and (for flexible versions) an optional tag.
// The transcriptions are plain data built with the three helpers below; schema-codec.ts compiles
// each (api, version) into encode/decode closures once. The helpers keep field names and types
// as literal types, so the TypeScript shape of every request and response is inferred from the
// same data (`BodyOf`/`InputOf`) instead of being written out a second time.

export type ScalarType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid'

export interface FieldOptions {
  /** Versions in which the field may be null, in the spec's notation (`"1+"`, `"3-5"`). */
  readonly nullable?: string
  /** Tag number for a tagged field (only in flexible versions). */
  readonly tag?: number
  /** The value used when the field is absent in a version (or omitted by the caller). */
  readonly default?: string | number | bigint | boolean | null
}

export interface FieldSpec {
  readonly name: string
  readonly type: ScalarType | 'struct'
  readonly array: boolean
  /** Versions the field exists in, in the spec's notation. */
  readonly versions: string
  readonly fields?: readonly FieldSpec[]
  readonly nullable?: string
  readonly tag?: number
  readonly default?: string | number | bigint | boolean | null
}

export interface ApiSchema {
  readonly apiKey: number
  readonly name: string
  /** The versions this codec implements (those a Kafka 4.x broker serves, up to the current max). */
  readonly versions: string
  /** Versions that use compact encodings and tagged fields (`"none"` if never). */
  readonly flexible: string
  readonly request: readonly FieldSpec[]
  readonly response: readonly FieldSpec[]
}

type Scalar<T extends ScalarType> = T extends 'bool'
  ? boolean
  : T extends 'int64'
    ? bigint
    : T extends 'string'
      ? string
      : T extends 'bytes' | 'records' | 'uuid'
        ? Uint8Array
        : number

export type TypeName = ScalarType | `[]${ScalarType}`

export interface ScalarField<N extends string, T extends TypeName, O extends FieldOptions> extends FieldSpec {
  readonly name: N
  /** Phantom: the spec's type name, kept for type inference only. */
  readonly wire?: T
  readonly opts?: O
}

export interface StructField<
  N extends string,
  A extends boolean,
  F extends readonly FieldSpec[],
  O extends FieldOptions,
> extends FieldSpec {
  readonly name: N
  readonly type: 'struct'
  readonly array: A
  readonly fields: F
  readonly opts?: O
}

/** A scalar or scalar-array field: `f('partitionIndex', 'int32', '0+')`, `f('replicaNodes', '[]int32', '0+')`. */
export function f<const N extends string, const T extends TypeName, const O extends FieldOptions = {}>(
  name: N,
  type: T,
  versions: string,
  opts?: O,
): ScalarField<N, T, O> {
  const array = type.startsWith('[]')
  const base = (array ? type.slice(2) : type) as ScalarType
  return { name, type: base, array, versions, ...opts } as never
}

/** An array of structs. */
export function list<
  const N extends string,
  const F extends readonly FieldSpec[],
  const O extends FieldOptions = {},
>(name: N, versions: string, fields: F, opts?: O): StructField<N, true, F, O> {
  return { name, type: 'struct', array: true, versions, fields, ...opts } as never
}

/** A single nested struct. */
export function struct<
  const N extends string,
  const F extends readonly FieldSpec[],
  const O extends FieldOptions = {},
>(name: N, versions: string, fields: F, opts?: O): StructField<N, false, F, O> {
  return { name, type: 'struct', array: false, versions, fields, ...opts } as never
}

type Nullable<O> = O extends { nullable: string } ? null : never

type ValueOf<F> =
  F extends StructField<string, infer A, infer Sub, infer O>
    ? (A extends true ? BodyOf<Sub>[] : BodyOf<Sub>) | Nullable<O>
    : F extends ScalarField<string, infer T, infer O>
      ? (T extends `[]${infer E extends ScalarType}` ? Scalar<E>[] : Scalar<T & ScalarType>) | Nullable<O>
      : never

type InputValueOf<F> =
  F extends StructField<string, infer A, infer Sub, infer O>
    ? (A extends true ? InputOf<Sub>[] : InputOf<Sub>) | Nullable<O>
    : F extends ScalarField<string, infer T, infer O>
      ? | (T extends `[]${infer E extends ScalarType}`
            ? Scalar<E>[]
            : Scalar<T & ScalarType> | (T extends 'int64' ? number : never))
        | Nullable<O>
      : never

/** A decoded body: every field present (absent-in-version fields hold their defaults). */
export type BodyOf<Fs extends readonly FieldSpec[]> = {
  [F in Fs[number] as F['name']]: ValueOf<F>
}

/** A body to encode: every field optional; omitted fields take their defaults. */
export type InputOf<Fs extends readonly FieldSpec[]> = {
  [F in Fs[number] as F['name']]?: InputValueOf<F>
}

/** Parses a version range in the spec's notation: `"3+"`, `"0-7"`, `"5"`, `"none"`. */
export function parseVersions(v: string): { min: number; max: number } {
  if (v === 'none') return { min: 1, max: 0 }
  if (v.endsWith('+')) return { min: Number(v.slice(0, -1)), max: Number.POSITIVE_INFINITY }
  const dash = v.indexOf('-')
  if (dash >= 0) return { min: Number(v.slice(0, dash)), max: Number(v.slice(dash + 1)) }
  return { min: Number(v), max: Number(v) }
}

export function inVersions(v: string | undefined, version: number): boolean {
  if (v === undefined) return false
  const r = parseVersions(v)
  return version >= r.min && version <= r.max
}

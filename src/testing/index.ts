// `conduit-mq/testing`: the conformance suite every driver passes, exported so that users can run it
// against their own broker setup:
//
//   import { conformanceSuite } from 'conduit-mq/testing'
//   conformanceSuite({ url: 'kafka://127.0.0.1:9092', scale: 0.5 })
//
// then run the file with `node --test`.

export { conformanceSuite } from './suite.ts'
export type { ConformanceOptions } from './suite.ts'
export { Random, resolveSeed } from './random.ts'

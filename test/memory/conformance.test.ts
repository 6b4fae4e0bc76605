// The shared conformance suite against the embedded broker, in memory and on disk.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after } from 'node:test'
import { conformanceSuite } from '../../src/testing/index.ts'

// A named broker: every connect() of a scenario reaches the same one (bare `memory:` would not).
conformanceSuite({ name: 'memory:', url: 'memory:conformance' })

const dir = mkdtempSync(path.join(tmpdir(), 'conduit-conformance-'))
after(() => rmSync(dir, { recursive: true, force: true }))
conformanceSuite({ name: 'file:', url: `file:${dir}` })

// npm run check:package — the package as published passes publint (exports, files, types) and
// are-the-types-wrong (every subpath's types resolve for ESM consumers), checked on a staged copy.

import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stagePackage } from './stage.ts'

const bin = (name: string): string =>
  fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url))
const staged = stagePackage()
let failed = false
try {
  for (const [command, args] of [
    [bin('publint'), [staged.dir]],
    [bin('attw'), [staged.tarball, '--profile', 'esm-only']],
  ] as const) {
    const result = spawnSync(command, args, { stdio: 'inherit' })
    if (result.status !== 0) failed = true
  }
} finally {
  rmSync(dirname(staged.dir), { recursive: true, force: true })
}
if (failed) process.exit(1)

// The README's API example must keep working: this runs it, as written, against the embedded broker.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const entry = fileURLToPath(new URL('../../src/index.ts', import.meta.url))

void test('the README API example runs and prints what it sent', () => {
  const section = readme.slice(readme.indexOf('## The common API'))
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
  assert.ok(code, 'README has a ```ts block under "The common API"')
  assert.match(code, /from 'conduit-mq'/)
  const dir = mkdtempSync(join(tmpdir(), 'conduit-readme-'))
  try {
    const file = join(dir, 'example.ts')
    writeFileSync(file, code.replace(/from 'conduit-mq'/g, `from ${JSON.stringify(entry)}`))
    const run = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 })
    assert.equal(run.status, 0, run.stderr)
    assert.match(run.stdout, /^stored at partition \d, offset 0\n/)
    assert.match(run.stdout, /o-1 paid \{ source: 'web' \}\n/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

void test('the README states the two set-up commands that package.json provides', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>
  }
  assert.match(readme, /npm ci && npm run quickstart/)
  assert.match(readme, /^npm test\b/m)
  assert.equal(pkg.scripts.quickstart, 'node src/cli/main.ts quickstart')
  assert.ok(pkg.scripts.test)
  const ci = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8')
  assert.match(ci, /^npm test$/m, '.ci/run runs exactly the README test command')
})

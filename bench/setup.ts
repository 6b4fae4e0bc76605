// Installs the other clients the benchmarks compare Conduit with (KafkaJS, @platformatic/kafka,
// pulsar-flex, ali-ons) into bench/node_modules, from bench/package-lock.json, the first time a
// `npm run bench:*` script needs them and again whenever that lockfile changes. They live in a
// package of their own so that the main `npm ci` installs only what building and testing need.
//
// Run by the bench:kafka, bench:pulsar and bench:rocketmq scripts before the benchmark itself.

import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const benchDir = fileURLToPath(new URL('.', import.meta.url))
// After a successful install the lockfile's hash is written next to the packages, so a changed
// lockfile (or an install that failed half-way) means installing again.
const lockHash = createHash('sha256')
  .update(readFileSync(new URL('package-lock.json', import.meta.url)))
  .digest('hex')
const stamp = new URL('node_modules/.conduit-bench-lock-sha256', import.meta.url)

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === lockHash) process.exit(0)
console.error('bench: installing the comparison clients into bench/node_modules (npm ci in bench/) …')
const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: benchDir, stdio: 'inherit' })
if (npm.status !== 0) {
  console.error(`bench: npm ci in ${benchDir} failed (exit ${npm.status ?? npm.signal}); see above`)
  process.exit(1)
}
writeFileSync(stamp, lockHash)

// The project's standing checks run with every `npm test`, so a type error, a floating promise,
// unformatted code or a broken package layout fails CI like any other defect.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'

const bin = (name: string): string => `node_modules/.bin/${name}`

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed:\n${output.slice(-8000)}`)
}

void test('TypeScript type-checks (strict, erasable syntax only)', () => {
  run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'])
})

void test('eslint passes (no-floating-promises, no-misused-promises, type imports)', () => {
  run(bin('eslint'), ['.'])
})

void test('prettier finds nothing to reformat', () => {
  run(bin('prettier'), ['--check', '.'])
})

void test('the built package passes publint and are-the-types-wrong', () => {
  run('npm', ['run', '--silent', 'check:package'])
})

void test('the main install holds no benchmark-only client: those live in bench/package.json', () => {
  const read = (path: string) =>
    JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as {
      dependencies?: Record<string, string>
      devDependencies?: Record<string, string>
      scripts?: Record<string, string>
    }
  const main = read('../../package.json')
  const bench = read('../../bench/package.json')
  const installed = new Set([
    ...Object.keys(main.dependencies ?? {}),
    ...Object.keys(main.devDependencies ?? {}),
  ])
  const clients = Object.keys(bench.dependencies ?? {})
  assert.ok(clients.length > 0, 'bench/package.json lists the comparison clients')
  assert.deepEqual(
    clients.filter((name) => installed.has(name)),
    [],
    'a comparison client is in the main package.json',
  )
  // Every benchmark that imports one of them installs them first.
  for (const name of ['bench:kafka', 'bench:pulsar', 'bench:rocketmq']) {
    assert.match(
      main.scripts?.[name] ?? '',
      /^node bench\/setup\.ts && /,
      `${name} runs bench/setup.ts first`,
    )
  }
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  parseCommandArgs,
  parseHeaders,
  parseInteger,
  parseStartPosition,
  UsageError,
  type CommandSpec,
} from '../../src/cli/args.ts'
import { ConfigError } from '../../src/core/errors.ts'

const spec: CommandSpec = {
  name: 'demo',
  summary: 'demo',
  positionals: '<topic>',
  options: {
    count: { type: 'string', description: 'n' },
    header: { type: 'string', multiple: true, description: 'h' },
  },
}

void test('parses options, repeated options and positionals, plus the global --url and --help', () => {
  const parsed = parseCommandArgs(spec, [
    't',
    '--count',
    '3',
    '--header',
    'a=1',
    '--header',
    'b=2',
    '--url',
    'memory:',
  ])
  assert.deepEqual(parsed.positionals, ['t'])
  assert.equal(parsed.values.count, '3')
  assert.deepEqual(parsed.values.header, ['a=1', 'b=2'])
  assert.equal(parsed.values.url, 'memory:')
  assert.equal(parseCommandArgs(spec, ['-h']).values.help, true)
})

void test('an unknown option is a usage error naming the command, and a ConfigError', () => {
  const error = (() => {
    try {
      parseCommandArgs(spec, ['--cuont', '3'])
    } catch (e) {
      return e
    }
  })()
  assert.ok(error instanceof UsageError)
  assert.ok(error instanceof ConfigError)
  assert.equal(error.code, 'CONDUIT_USAGE')
  assert.equal(error.command, 'demo')
  assert.match(error.message, /--cuont/)
  assert.throws(() => parseCommandArgs(spec, ['--count']), UsageError)
})

void test('--from accepts earliest, latest, offsets and ISO times, and nothing else', () => {
  assert.equal(parseStartPosition('earliest', 'c'), 'earliest')
  assert.equal(parseStartPosition('latest', 'c'), 'latest')
  assert.equal(parseStartPosition('42', 'c'), 42)
  const date = parseStartPosition('2026-01-31T12:00:00Z', 'c')
  assert.ok(date instanceof Date)
  assert.equal(date.toISOString(), '2026-01-31T12:00:00.000Z')
  assert.ok(parseStartPosition('2026-01-31', 'c') instanceof Date)
  for (const bad of ['earliset', '-1', '1.5', 'yesterday', '2026-13-45T99:99:99Z', '']) {
    assert.throws(() => parseStartPosition(bad, 'c'), UsageError, bad)
  }
})

void test('integers are checked for form and bounds', () => {
  assert.equal(parseInteger('7', '--n', 'c', { min: 1, max: 10 }), 7)
  assert.throws(() => parseInteger('0', '--n', 'c', { min: 1 }), /at least 1/)
  assert.throws(() => parseInteger('11', '--n', 'c', { min: 1, max: 10 }), /between 1 and 10/)
  assert.throws(() => parseInteger('3x', '--n', 'c'), /must be an integer/)
  assert.throws(() => parseInteger('99999999999999999999', '--n', 'c'), UsageError)
})

void test('headers split at the first =, and need a name', () => {
  assert.deepEqual(parseHeaders(['a=1', 'b=x=y', 'c='], 'c'), { a: '1', b: 'x=y', c: '' })
  assert.throws(() => parseHeaders(['=v'], 'c'), /name=value/)
  assert.throws(() => parseHeaders(['novalue'], 'c'), /name=value/)
})

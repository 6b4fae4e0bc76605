import { test } from 'node:test'
import assert from 'node:assert/strict'
import { UsageError } from '../../src/cli/args.ts'
import { describeFailure, EXIT } from '../../src/cli/failure.ts'
import {
  BrokerError,
  ConfigError,
  ConnectionError,
  CorruptDataError,
  LockedError,
  StorageError,
} from '../../src/core/errors.ts'

void test('usage errors exit 2 and point at the command help', () => {
  const r = describeFailure(new UsageError('missing topic', 'produce'))
  assert.equal(r.exitCode, EXIT.usage)
  assert.equal(r.text, 'error [CONDUIT_USAGE]: missing topic\nhint: see "conduit produce --help"\n')
})

void test('Conduit errors print their code, cause and a hint chosen by code', () => {
  const r = describeFailure(
    new ConnectionError('connect ECONNREFUSED 127.0.0.1:9', { cause: new Error('refused') }),
  )
  assert.equal(r.exitCode, EXIT.failure)
  assert.match(r.text, /^error \[CONDUIT_CONNECTION\]: connect ECONNREFUSED/)
  assert.match(r.text, /\ncause: refused\n/)
  assert.match(r.text, /hint: is the broker running/)
  assert.match(describeFailure(new LockedError('locked')).text, /another process/)
  assert.equal(describeFailure(new ConfigError('bad url')).exitCode, EXIT.usage)
})

void test('broker errors show the broker name and code', () => {
  const r = describeFailure(new BrokerError(3, 'UNKNOWN_TOPIC_OR_PARTITION', 'no such topic'))
  assert.match(r.text, /broker error: UNKNOWN_TOPIC_OR_PARTITION \(3\)/)
})

void test('foreign errors exit 1 and offer the stack only when debugging', () => {
  const r = describeFailure(new TypeError('boom'))
  assert.equal(r.exitCode, EXIT.failure)
  assert.match(r.text, /^error: boom\nhint: set CONDUIT_DEBUG=1/)
  assert.match(describeFailure(new TypeError('boom'), true).text, /TypeError: boom\n\s+at /)
})

void test('storage and corrupt-data errors print their own hint and path, and exit 1', () => {
  const full = describeFailure(
    new StorageError('cannot write segment: no space left on device', {
      path: '/data/orders/0/00000000.log',
      systemCode: 'ENOSPC',
      hint: 'free space on the disk holding /data, then run the command again',
      retriable: true,
    }),
  )
  assert.equal(full.exitCode, EXIT.failure)
  assert.equal(
    full.text,
    'error [CONDUIT_STORAGE]: cannot write segment: no space left on device\n' +
      'path: /data/orders/0/00000000.log\n' +
      'hint: free space on the disk holding /data, then run the command again\n',
  )
  const corrupt = describeFailure(
    new CorruptDataError('offsets file /data/groups/billing.json does not parse', {
      path: '/data/groups/billing.json',
      hint: 'move the file away and run "conduit groups describe billing" to check the group',
    }),
  )
  assert.equal(corrupt.exitCode, EXIT.failure)
  // The path is in the message already, so it is not repeated; the error's hint beats the table's.
  assert.equal(
    corrupt.text,
    'error [CONDUIT_CORRUPT_DATA]: offsets file /data/groups/billing.json does not parse\n' +
      'hint: move the file away and run "conduit groups describe billing" to check the group\n',
  )
})

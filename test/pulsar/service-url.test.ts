import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../src/core/errors.ts'
import { parseBrokerUrl, parseServiceUrl } from '../../src/pulsar/service-url.ts'

void test('service URLs: default ports, TLS, several hosts, IPv6', () => {
  assert.deepEqual(parseServiceUrl('pulsar://h'), [
    { host: 'h', port: 6650, tls: false, url: 'pulsar://h:6650' },
  ])
  assert.equal(parseServiceUrl('pulsar+ssl://h')[0]!.port, 6651)
  assert.equal(parseServiceUrl('pulsar+ssl://h')[0]!.tls, true)
  assert.deepEqual(
    parseServiceUrl('pulsar://a:1,b:2').map((b) => b.url),
    ['pulsar://a:1', 'pulsar://b:2'],
  )
  assert.equal(parseServiceUrl('pulsar://[::1]:6650')[0]!.host, '::1')
  assert.equal(parseBrokerUrl('pulsar://127.0.0.1:6650/').port, 6650)
})

void test('bad service URLs are ConfigErrors', () => {
  for (const bad of ['http://h:1', 'pulsar://', 'pulsar://h:0', 'pulsar://h:99999', 'h:6650']) {
    assert.throws(() => parseServiceUrl(bad), ConfigError, bad)
  }
  assert.throws(() => parseBrokerUrl('pulsar://a:1,b:2'), ConfigError)
})

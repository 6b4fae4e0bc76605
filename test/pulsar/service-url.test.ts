import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, ProtocolError } from '../../src/core/errors.ts'
import { brokerUrlFromLookup, parseBrokerUrl, parseServiceUrl } from '../../src/pulsar/service-url.ts'

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

void test('a TLS client never takes a plaintext broker address from a lookup answer', () => {
  assert.equal(brokerUrlFromLookup('pulsar://b:6650', 'pulsar+ssl://b:6651', true), 'pulsar+ssl://b:6651')
  assert.throws(
    () => brokerUrlFromLookup('pulsar://b:6650', '', true),
    (e) =>
      e instanceof ConfigError &&
      /no TLS address .*pulsar:\/\/b:6650.*will not fall back to plaintext/.test(e.message),
  )
  // A plaintext client takes the plain address, or the TLS one when that is all there is.
  assert.equal(brokerUrlFromLookup('pulsar://b:6650', 'pulsar+ssl://b:6651', false), 'pulsar://b:6650')
  assert.equal(brokerUrlFromLookup('', 'pulsar+ssl://b:6651', false), 'pulsar+ssl://b:6651')
  assert.throws(() => brokerUrlFromLookup('', '', false), ProtocolError)
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { redactUrl, redactUrlsIn } from '../../src/core/redact-url.ts'

void test('the password of the user info becomes ***, the user name stays', () => {
  assert.equal(redactUrl('kafka://alice:s3cret@127.0.0.1:9092'), 'kafka://alice:***@127.0.0.1:9092')
  assert.equal(
    redactUrl('kafka+ssl://alice:s3cret@h1:9093,h2:9093?sasl=scram-sha-512'),
    'kafka+ssl://alice:***@h1:9093,h2:9093?sasl=scram-sha-512',
  )
  assert.equal(redactUrl('pulsar://u:p@host:6650'), 'pulsar://u:***@host:6650')
  assert.equal(redactUrl('wss://u:p@gw.example/pulsar'), 'wss://u:***@gw.example/pulsar')
  assert.equal(redactUrl('rocketmq://ak:sk@ns1:9876;ns2:9876'), 'rocketmq://ak:***@ns1:9876;ns2:9876')
  // An empty password still hides that there is one; a user without password is no secret.
  assert.equal(redactUrl('kafka://alice:@h:1'), 'kafka://alice:***@h:1')
  assert.equal(redactUrl('kafka://alice@h:1'), 'kafka://alice@h:1')
})

void test('a password holding unencoded @, / or : is hidden whole', () => {
  assert.equal(redactUrl('kafka://u:p@ss:w/rd@h:9092'), 'kafka://u:***@h:9092')
  assert.equal(redactUrl('kafka://u:p%40ss@h:9092'), 'kafka://u:***@h:9092')
  // Malformed URLs and bare host lists, as they end up quoted in parse errors.
  assert.equal(redactUrl('kafka:/u:pw@h'), 'kafka:/u:***@h')
  assert.equal(redactUrl('kafka:u:pw@h'), 'kafka:***@h')
  assert.equal(redactUrl('u:pw@h:9876'), 'u:***@h:9876')
})

void test('secret query parameters are masked, others kept', () => {
  assert.equal(
    redactUrl('ws://127.0.0.1:8080?tenant=t1&token=eyJhbGci.x.y&namespace=ns'),
    'ws://127.0.0.1:8080?tenant=t1&token=***&namespace=ns',
  )
  assert.equal(
    redactUrl('rocketmq://ns:9876?accessKey=ak&secretKey=sk&secret_key=sk2'),
    'rocketmq://ns:9876?accessKey=ak&secretKey=***&secret_key=***',
  )
  assert.equal(
    redactUrl('kafka://h:1?sasl=plain&password=p&clientId=c&Client-Secret=z#frag'),
    'kafka://h:1?sasl=plain&password=***&clientId=c&Client-Secret=***#frag',
  )
  assert.equal(
    redactUrl('pulsar://h:6650?authParams=%7B%22token%22%3A1%7D'),
    'pulsar://h:6650?authParams=***',
  )
})

void test('URLs without secrets, and strings that are not URLs, come back unchanged', () => {
  for (const url of [
    'memory:',
    'memory:orders',
    'file:./.conduit',
    'file:///var/lib/conduit?fsync=always',
    'kafka://127.0.0.1:9092',
    'pulsar+ssl://h:6651',
    'ws://gw.example/base?tenant=public',
    'not a url',
    '',
  ])
    assert.equal(redactUrl(url), url)
})

void test('redactUrlsIn redacts every URL inside a message', () => {
  assert.equal(
    redactUrlsIn('invalid port in "pulsar://u:pw@h:x" (tried kafka://a:b@c:1?token=t and more)'),
    'invalid port in "pulsar://u:***@h:x" (tried kafka://a:***@c:1?token=*** and more)',
  )
  assert.equal(redactUrlsIn('no URL here: host:9092'), 'no URL here: host:9092')
})

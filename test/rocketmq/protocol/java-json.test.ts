import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProtocolError } from '../../../src/core/errors.ts'
import { parseJavaJson, quoteNumericKeys } from '../../../src/rocketmq/protocol/java-json.ts'

void test('quotes fastjson bare integer keys, leaves strings alone', () => {
  assert.equal(quoteNumericKeys('{0:"a", 1 :"b",-1:"c"}'), '{"0":"a", "1" :"b","-1":"c"}')
  assert.equal(quoteNumericKeys('{"x":"{0:1}","y":[1,2]}'), '{"x":"{0:1}","y":[1,2]}')
  assert.equal(quoteNumericKeys('[1,2,{3:4}]'), '[1,2,{"3":4}]')
})

void test('parses a route body as the name server writes it', () => {
  const body = new TextEncoder().encode(
    '{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"queueDatas":[]}',
  )
  const parsed = parseJavaJson<{ brokerDatas: { brokerAddrs: Record<string, string> }[] }>(body, 'route')
  assert.equal(parsed.brokerDatas[0]!.brokerAddrs['0'], '127.0.0.1:10911')
  assert.throws(() => parseJavaJson('{oops', 'x'), ProtocolError)
  assert.throws(() => parseJavaJson(null, 'x'), ProtocolError)
})

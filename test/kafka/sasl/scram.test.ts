import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AuthenticationError, ConfigError } from '../../../src/core/errors.ts'
import { escapeSaslName, scramMechanism } from '../../../src/kafka/sasl/scram.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

// RFC 7677 §3 test vector: user "user", password "pencil".
void test('SCRAM-SHA-256 reproduces the RFC 7677 exchange and verifies the server signature', async () => {
  const sent: string[] = []
  const replies = [
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  ]
  const mech = scramMechanism('SCRAM-SHA-256', 'user', 'pencil', { nonce: 'rOprNGfwEbeRWgbNEkqO' })
  await mech.authenticate(async (msg) => {
    sent.push(dec.decode(msg))
    return enc.encode(replies.shift()!)
  })
  assert.equal(sent[0], 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO')
  assert.equal(
    sent[1],
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  )
})

void test('SCRAM rejects a wrong server signature', async () => {
  const replies = [
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    'v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  ]
  const mech = scramMechanism('SCRAM-SHA-256', 'user', 'pencil', { nonce: 'rOprNGfwEbeRWgbNEkqO' })
  await assert.rejects(
    mech.authenticate(async () => enc.encode(replies.shift()!)),
    (e) => e instanceof AuthenticationError,
  )
})

void test('SCRAM rejects a server nonce that does not extend ours, an error reply and absurd iteration counts', async () => {
  const run = (first: string) =>
    scramMechanism('SCRAM-SHA-512', 'u', 'p', { nonce: 'abc' }).authenticate(async () => enc.encode(first))
  await assert.rejects(run('r=xyz123,s=AAAA,i=4096'), AuthenticationError)
  await assert.rejects(run('e=unknown-user'), AuthenticationError)
  await assert.rejects(run('r=abcdef,s=AAAA,i=99999999'), AuthenticationError)
  await assert.rejects(run('garbage'), AuthenticationError)
})

void test('SCRAM escapes user names and validates options', () => {
  assert.equal(escapeSaslName('a=b,c'), 'a=3Db=2Cc')
  assert.throws(() => scramMechanism('SCRAM-SHA-256', '', 'p'), ConfigError)
  assert.throws(() => scramMechanism('SCRAM-SHA-1' as never, 'u', 'p'), ConfigError)
})

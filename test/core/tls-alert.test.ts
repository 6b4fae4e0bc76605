// Which TLS failures mean "the broker refused our client certificate" (AuthenticationError) and
// which stay connection failures.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AuthenticationError } from '../../src/core/errors.ts'
import { clientCertificateRefused } from '../../src/core/tls-alert.ts'

const failure = (code: string): Error => Object.assign(new Error('tls'), { code })

void test('received certificate alerts, under every OpenSSL prefix, are AuthenticationError', () => {
  for (const code of [
    'ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE',
    'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
    'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  ]) {
    const err = clientCertificateRefused(failure(code), '127.0.0.1:9093')
    assert.ok(err instanceof AuthenticationError, code)
    assert.equal(err.retriable, false)
    assert.match(err.message, /^127\.0\.0\.1:9093 refused the TLS client certificate/)
  }
})

void test('our own verification failures and other alerts are not', () => {
  for (const code of [
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE',
    'ECONNRESET',
  ]) {
    assert.equal(clientCertificateRefused(failure(code), 'x'), undefined, code)
  }
  assert.equal(clientCertificateRefused(new Error('no code'), 'x'), undefined)
  assert.equal(clientCertificateRefused(undefined, 'x'), undefined)
})

// A broker that requires a client certificate (mutual TLS) and gets none, or one it does not
// trust, answers with a TLS alert. Under TLS 1.3 that alert arrives *after* the client saw the
// handshake complete, so it surfaces as a failed read on an open socket — easily mistaken for a
// network fault and retried forever. These alerts are the broker refusing the client's
// credentials, so Conduit reports them as a non-retriable AuthenticationError.

import { AuthenticationError } from './errors.ts'

/**
 * Alerts a server sends about the client's certificate, by the name in Node's error code:
 * `ERR_SSL_<prefix>_ALERT_<NAME>`, where the prefix varies with the OpenSSL version (SSLV3, TLSV1,
 * TLSV13, SSL/TLS). Only *received* alerts carry `_ALERT_`; a certificate this side rejects has a
 * verification code instead (UNABLE_TO_VERIFY_LEAF_SIGNATURE, …) and stays a ConnectionError.
 */
const CLIENT_CERT_ALERTS = new Set([
  'CERTIFICATE_REQUIRED',
  'BAD_CERTIFICATE',
  'CERTIFICATE_UNKNOWN',
  'UNKNOWN_CA',
  'CERTIFICATE_EXPIRED',
  'CERTIFICATE_REVOKED',
  'UNSUPPORTED_CERTIFICATE',
  'ACCESS_DENIED',
])

/** An AuthenticationError when `err` is the peer refusing our client certificate, else undefined. */
export function clientCertificateRefused(err: unknown, where: string): AuthenticationError | undefined {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code !== 'string') return undefined
  const alert = /^ERR_SSL_[A-Z0-9/]+_ALERT_([A-Z_]+)$/.exec(code)?.[1]
  if (alert === undefined || !CLIENT_CERT_ALERTS.has(alert)) return undefined
  return new AuthenticationError(
    `${where} refused the TLS client certificate (TLS alert ${alert.toLowerCase().replace(/_/g, ' ')}): ` +
      'the broker requires mutual TLS; pass tls.cert and tls.key with a certificate signed by a CA it trusts',
    { cause: err },
  )
}

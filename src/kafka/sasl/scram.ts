// SASL SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677) with node:crypto. Two round trips:
//   client-first  "n,,n=<user>,r=<cnonce>"
//   server-first  "r=<cnonce+snonce>,s=<salt b64>,i=<iterations>"
//   client-final  "c=biws,r=<nonce>,p=<proof b64>"
//   server-final  "v=<server signature b64>"  or  "e=<error>"
// The server signature is verified, so a man in the middle that does not know the password
// cannot pretend the login succeeded.

import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto'
import { AuthenticationError, ConfigError } from '../../core/errors.ts'
import type { SaslExchange, SaslMechanism } from './mechanism.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export type ScramAlgorithm = 'SCRAM-SHA-256' | 'SCRAM-SHA-512'

const DIGEST = { 'SCRAM-SHA-256': ['sha256', 32], 'SCRAM-SHA-512': ['sha512', 64] } as const

// Kafka itself accepts 4096..16384 iterations; the upper bound here only stops a hostile server
// from making the client burn CPU for minutes.
const MIN_ITERATIONS = 4096
const MAX_ITERATIONS = 1_000_000

/** RFC 5802 saslname: "=" and "," must be escaped. */
export function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C')
}

function parseAttributes(message: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of message.split(',')) {
    const eq = part.indexOf('=')
    if (eq !== 1) throw new AuthenticationError(`malformed SCRAM server message "${message}"`)
    out.set(part[0]!, part.slice(2))
  }
  return out
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!
  return out
}

function saltedPassword(
  password: string,
  salt: Buffer,
  iterations: number,
  algo: ScramAlgorithm,
): Promise<Buffer> {
  const [digest, length] = DIGEST[algo]
  return new Promise((resolve, reject) => {
    pbkdf2(password.normalize('NFKC'), salt, iterations, length, digest, (err, key) =>
      err ? reject(err) : resolve(key),
    )
  })
}

export interface ScramOptions {
  /** Client nonce; random by default. Fixed only in tests (RFC 7677 vectors). */
  nonce?: string
}

export function scramMechanism(
  algorithm: ScramAlgorithm,
  username: string,
  password: string,
  options: ScramOptions = {},
): SaslMechanism {
  if (!(algorithm in DIGEST)) throw new ConfigError(`unknown SCRAM mechanism "${String(algorithm)}"`)
  if (typeof username !== 'string' || username === '')
    throw new ConfigError('SCRAM username must be a non-empty string')
  if (typeof password !== 'string') throw new ConfigError('SCRAM password must be a string')
  const [digest] = DIGEST[algorithm]
  const hmac = (key: Buffer, data: string): Buffer => createHmac(digest, key).update(data).digest()

  return {
    name: algorithm,
    async authenticate(exchange: SaslExchange): Promise<void> {
      const clientNonce = options.nonce ?? randomBytes(24).toString('base64')
      const clientFirstBare = `n=${escapeSaslName(username)},r=${clientNonce}`
      const serverFirst = decoder.decode(await exchange(encoder.encode(`n,,${clientFirstBare}`)))

      const attrs = parseAttributes(serverFirst)
      if (attrs.has('e')) throw new AuthenticationError(`SCRAM authentication failed: ${attrs.get('e')}`)
      const nonce = attrs.get('r')
      const saltB64 = attrs.get('s')
      const iterations = Number(attrs.get('i'))
      if (!nonce || !nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) {
        throw new AuthenticationError('SCRAM server nonce does not extend the client nonce')
      }
      if (!saltB64) throw new AuthenticationError('SCRAM server-first message has no salt')
      if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
        throw new AuthenticationError(`SCRAM iteration count ${attrs.get('i')} is out of range`)
      }

      const salted = await saltedPassword(password, Buffer.from(saltB64, 'base64'), iterations, algorithm)
      const clientKey = hmac(salted, 'Client Key')
      const storedKey = createHash(digest).update(clientKey).digest()
      const clientFinalWithoutProof = `c=biws,r=${nonce}` // biws = base64("n,,"): no channel binding
      const authMessage = `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`
      const proof = xor(clientKey, hmac(storedKey, authMessage))
      const serverFinal = decoder.decode(
        await exchange(encoder.encode(`${clientFinalWithoutProof},p=${proof.toString('base64')}`)),
      )

      const finalAttrs = parseAttributes(serverFinal)
      if (finalAttrs.has('e'))
        throw new AuthenticationError(`SCRAM authentication failed: ${finalAttrs.get('e')}`)
      const verifier = Buffer.from(finalAttrs.get('v') ?? '', 'base64')
      const expected = hmac(hmac(salted, 'Server Key'), authMessage)
      if (verifier.length !== expected.length || !timingSafeEqual(verifier, expected)) {
        throw new AuthenticationError(
          'SCRAM server signature does not match: the server does not know the password',
        )
      }
    },
  }
}

// Throw-away certificates for the *-tls brokers, generated at start with openssl into the
// broker's work directory: a CA, a server certificate for 127.0.0.1/localhost, a client
// certificate (for brokers that accept client-certificate authentication), and the PKCS12
// stores Java brokers read.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { requireOpenssl } from './prerequisites.ts'
import type { TlsMaterial } from './types.ts'

export interface GeneratedTls {
  dir: string
  caPem: string
  serverCertPem: string
  /** PKCS8, unencrypted. */
  serverKeyPem: string
  serverKeystore: string
  truststore: string
  /** Password of both PKCS12 stores. */
  storePassword: string
  /** What tests get: the CA plus the client certificate and key, as PEM text. */
  material: TlsMaterial
}

export function generateTls(dir: string): GeneratedTls {
  requireOpenssl()
  mkdirSync(dir, { recursive: true })
  const path = (name: string): string => join(dir, name)
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  }
  const storePassword = randomBytes(12).toString('hex')

  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '30',
    '-subj',
    '/CN=conduit-test-ca',
  )
  const issue = (name: string, cn: string, usage: string): void => {
    writeFileSync(
      path(`${name}.ext`),
      `subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=${usage}\nbasicConstraints=CA:FALSE\n`,
    )
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    )
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '30',
      '-extfile',
      `${name}.ext`,
    )
  }
  issue('server', 'localhost', 'serverAuth,clientAuth')
  issue('client', 'conduit-client', 'clientAuth')
  openssl(
    'pkcs12',
    '-export',
    '-in',
    'server.pem',
    '-inkey',
    'server.key',
    '-certfile',
    'ca.pem',
    '-name',
    'server',
    '-out',
    'server.p12',
    '-passout',
    `pass:${storePassword}`,
  )
  execFileSync(
    'keytool',
    [
      '-importcert',
      '-noprompt',
      '-alias',
      'ca',
      '-file',
      'ca.pem',
      '-keystore',
      'truststore.p12',
      '-storetype',
      'PKCS12',
      '-storepass',
      storePassword,
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  )

  const read = (name: string): string => readFileSync(path(name), 'utf8')
  return {
    dir,
    caPem: read('ca.pem'),
    serverCertPem: read('server.pem'),
    serverKeyPem: read('server.key'),
    serverKeystore: path('server.p12'),
    truststore: path('truststore.p12'),
    storePassword,
    material: { ca: read('ca.pem'), cert: read('client.pem'), key: read('client.key') },
  }
}

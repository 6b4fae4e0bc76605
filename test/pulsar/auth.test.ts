// Auth providers without a broker: the OAuth2 client-credentials flow against a fake issuer on
// loopback (discovery, token request, caching until near expiry, clear errors).
import assert from 'node:assert/strict'
import http from 'node:http'
import { after, test } from 'node:test'
import { AuthenticationError, ConfigError, ConnectionError } from '../../src/core/errors.ts'
import { oauth2ClientCredentials, tlsAuth, tokenAuth } from '../../src/pulsar/auth.ts'

const requests: { path: string; body: string }[] = []
let tokenTtl = 3600
let failTokens = false
const server = http.createServer((req, res) => {
  let body = ''
  req.on('data', (c: Buffer) => (body += c.toString()))
  req.on('end', () => {
    requests.push({ path: req.url ?? '', body })
    res.setHeader('content-type', 'application/json')
    if (req.url === '/issuer/.well-known/openid-configuration') {
      res.end(JSON.stringify({ token_endpoint: `http://127.0.0.1:${port()}/token` }))
    } else if (req.url === '/token' && !failTokens) {
      res.end(JSON.stringify({ access_token: `tok-${requests.length}`, expires_in: tokenTtl }))
    } else {
      res.statusCode = 401
      res.end('{}')
    }
  })
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const port = (): number => (server.address() as { port: number }).port
after(() => new Promise<void>((resolve) => server.close(() => resolve())))

void test('OAuth2 client credentials: discovery, form-encoded grant, token cached until near expiry', async () => {
  const auth = oauth2ClientCredentials({
    issuerUrl: `http://127.0.0.1:${port()}/issuer`,
    clientId: 'id',
    clientSecret: 's3',
    audience: 'urn:pulsar',
  })
  assert.equal(auth.method, 'token')
  const first = new TextDecoder().decode(await auth.authData())
  const second = new TextDecoder().decode(await auth.authData())
  assert.equal(first, second, 'cached while valid')
  const grant = new URLSearchParams(requests.find((r) => r.path === '/token')!.body)
  assert.equal(grant.get('grant_type'), 'client_credentials')
  assert.equal(grant.get('client_id'), 'id')
  assert.equal(grant.get('client_secret'), 's3')
  assert.equal(grant.get('audience'), 'urn:pulsar')
  // A lifetime below the 60 s margin: the margin shrinks to a fifth of it, so a short-lived token
  // is still reused (not fetched on every CONNECT) and renewed at 80 % of its life.
  tokenTtl = 1
  const short = oauth2ClientCredentials({
    issuerUrl: `http://127.0.0.1:${port()}/issuer`,
    clientId: 'id',
    clientSecret: 's3',
  })
  const a = new TextDecoder().decode(await short.authData())
  assert.equal(new TextDecoder().decode(await short.authData()), a, 'reused while fresh')
  await new Promise((resolve) => setTimeout(resolve, 900))
  assert.notEqual(new TextDecoder().decode(await short.authData()), a, 'renewed before expiry')
  tokenTtl = 3600
})

void test('OAuth2: a direct tokenUrl skips discovery; concurrent callers share one token request', async () => {
  const before = requests.length
  const auth = oauth2ClientCredentials({
    tokenUrl: `http://127.0.0.1:${port()}/token`,
    clientId: 'id',
    clientSecret: 's',
  })
  const [x, y] = await Promise.all([auth.authData(), auth.authData()])
  assert.deepEqual(x, y)
  assert.deepEqual(
    requests.slice(before).map((r) => r.path),
    ['/token'],
  )
})

void test('OAuth2: an unreachable token server is a ConnectionError naming it', async () => {
  const closed = http.createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const deadPort = (closed.address() as { port: number }).port
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  const auth = oauth2ClientCredentials({
    tokenUrl: `http://127.0.0.1:${deadPort}/token`,
    clientId: 'id',
    clientSecret: 's',
  })
  await assert.rejects(
    auth.authData(),
    (err: unknown) => err instanceof ConnectionError && /unreachable/.test(err.message),
  )
})

void test('OAuth2 errors are AuthenticationErrors; missing settings are ConfigErrors', async () => {
  failTokens = true
  const auth = oauth2ClientCredentials({
    issuerUrl: `http://127.0.0.1:${port()}/issuer`,
    clientId: 'id',
    clientSecret: 'x',
  })
  await assert.rejects(auth.authData(), AuthenticationError)
  failTokens = false
  const wrongIssuer = oauth2ClientCredentials({
    issuerUrl: `http://127.0.0.1:${port()}/nowhere`,
    clientId: 'id',
    clientSecret: 'x',
  })
  await assert.rejects(wrongIssuer.authData(), AuthenticationError)
  assert.throws(
    () => oauth2ClientCredentials({ issuerUrl: '', clientId: 'id', clientSecret: 'x' }),
    ConfigError,
  )
  assert.throws(() => oauth2ClientCredentials({ clientId: 'id', clientSecret: 'x' }), ConfigError)
})

void test('token and TLS providers', async () => {
  assert.equal(new TextDecoder().decode(await tokenAuth('abc').authData()), 'abc')
  await assert.rejects(tokenAuth(() => '').authData(), AuthenticationError)
  assert.throws(() => tokenAuth(''), ConfigError)
  assert.equal(tlsAuth().method, 'tls')
  assert.equal((await tlsAuth().authData()).length, 0)
})

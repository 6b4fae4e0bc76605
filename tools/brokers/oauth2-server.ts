// A small OAuth2 authorization server for the pulsar-auth broker: the client-credentials grant
// (RFC 6749 §4.4) and OpenID discovery, issuing HS256 JWTs signed with the secret key the broker
// trusts. It runs as its own process next to the broker (a ProcessSpec), so it lives as long as
// the broker does, also when a developer's `brokers up` started it and tests in other processes
// use it.
//
//   node oauth2-server.ts <port> <secret-key-file> <clients-json-file>
//
// clients-json-file: { "<client_id>": { "secret": "…", "subject": "admin", "ttlSeconds": 3600 } }
//
//   GET  /.well-known/openid-configuration → { issuer, token_endpoint }
//   POST /oauth/token  grant_type=client_credentials, client_id + client_secret in the form or in
//                      HTTP Basic → { access_token, token_type, expires_in }; 401 invalid_client
//   GET  /stats        → { issued: { "<client_id>": n } } so tests can see how often a client asked
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { signHs256 } from './jwt.ts'

interface Client {
  secret: string
  subject: string
  ttlSeconds: number
}

const [portArg, secretFile, clientsFile] = process.argv.slice(2)
if (!portArg || !secretFile || !clientsFile) {
  process.stderr.write('usage: oauth2-server.ts <port> <secret-key-file> <clients-json-file>\n')
  process.exit(2)
}
const port = Number(portArg)
const secret = readFileSync(secretFile)
const clients = JSON.parse(readFileSync(clientsFile, 'utf8')) as Record<string, Client>
const issuer = `http://127.0.0.1:${port}`
const issued: Record<string, number> = {}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = ''
  for await (const chunk of req) {
    text += String(chunk)
    // A token request is a few hundred bytes; anything far larger is not one.
    if (text.length > 64 * 1024) throw new Error('request body too large')
  }
  return text
}

/** client_id and client_secret from HTTP Basic (RFC 6749 §2.3.1) or, failing that, the form. */
function credentialsOf(req: IncomingMessage, form: URLSearchParams): [string, string] {
  const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '')
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon >= 0) {
      return [
        decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
        decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
      ]
    }
  }
  return [form.get('client_id') ?? '', form.get('client_secret') ?? '']
}

async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = new URLSearchParams(await readBody(req))
  if (form.get('grant_type') !== 'client_credentials') {
    reply(res, 400, { error: 'unsupported_grant_type' })
    return
  }
  const [id, given] = credentialsOf(req, form)
  const client = clients[id]
  if (!client || client.secret !== given) {
    reply(res, 401, { error: 'invalid_client' })
    return
  }
  const now = Math.floor(Date.now() / 1000)
  const claims: Record<string, unknown> = {
    sub: client.subject,
    iss: issuer,
    iat: now,
    exp: now + client.ttlSeconds,
  }
  const audience = form.get('audience')
  if (audience) claims.aud = audience
  issued[id] = (issued[id] ?? 0) + 1
  reply(res, 200, {
    access_token: signHs256(claims, secret),
    token_type: 'Bearer',
    expires_in: client.ttlSeconds,
  })
}

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', issuer).pathname
  if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
    reply(res, 200, {
      issuer,
      token_endpoint: `${issuer}/oauth/token`,
      grant_types_supported: ['client_credentials'],
    })
  } else if (req.method === 'POST' && path === '/oauth/token') {
    token(req, res).catch((error: unknown) =>
      reply(res, 400, { error: 'invalid_request', detail: String(error) }),
    )
  } else if (req.method === 'GET' && path === '/stats') {
    reply(res, 200, { issued })
  } else {
    reply(res, 404, { error: 'not_found' })
  }
})
server.listen(port, '127.0.0.1', () => process.stdout.write(`oauth2 server on ${issuer}\n`))
// The harness stops a broker with SIGTERM to its process group.
process.on('SIGTERM', () => server.close(() => process.exit(0)))

// Authentication providers for CONNECT and AUTH_CHALLENGE. Each gives a method name the broker
// knows (`token`, `tls`) and fresh auth data on every call, so a token supplier or an OAuth2
// client can hand out a renewed token when the broker challenges an expiring one.

import { AuthenticationError, ConfigError, ConnectionError } from '../core/errors.ts'
import { redactUrl } from '../core/redact-url.ts'

export interface AuthProvider {
  /** `auth_method_name` sent in CONNECT. */
  readonly method: string
  /** The credentials for CONNECT and for each AUTH_CHALLENGE. */
  authData(): Promise<Uint8Array>
}

const encoder = new TextEncoder()

/** JWT token authentication: a fixed token or a function returning the current one. */
export function tokenAuth(token: string | (() => string | Promise<string>)): AuthProvider {
  if (typeof token !== 'string' && typeof token !== 'function')
    throw new ConfigError('token must be a string or a function')
  if (typeof token === 'string' && token.length === 0) throw new ConfigError('token must not be empty')
  return {
    method: 'token',
    async authData() {
      const value = typeof token === 'string' ? token : await token()
      if (typeof value !== 'string' || value.length === 0)
        throw new AuthenticationError('the token supplier returned no token')
      return encoder.encode(value)
    },
  }
}

/** TLS client-certificate authentication: the certificate goes in the TLS options; no data. */
export function tlsAuth(): AuthProvider {
  return { method: 'tls', authData: () => Promise.resolve(new Uint8Array(0)) }
}

export interface OAuth2Options {
  /** The issuer; its `/.well-known/openid-configuration` names the token endpoint. */
  issuerUrl?: string
  /** The token endpoint itself, when the issuer has no discovery document. */
  tokenUrl?: string
  clientId: string
  clientSecret: string
  audience?: string
  scope?: string
  /** Renew this long before the token expires (at most a fifth of its lifetime). Default 60 s. */
  refreshMarginMs?: number
  fetch?: typeof fetch
}

/**
 * OAuth2 client-credentials flow (RFC 6749 §4.4, what Pulsar's `AuthenticationOAuth2` does):
 * fetches an access token from the token endpoint and sends it as a `token`. The token is cached
 * until shortly before it expires, so CONNECTs reuse it and an AUTH_CHALLENGE for an expiring one
 * gets a fresh one; concurrent callers share one request.
 */
export function oauth2ClientCredentials(opts: OAuth2Options): AuthProvider {
  for (const key of ['clientId', 'clientSecret'] as const) {
    if (typeof opts[key] !== 'string' || opts[key].length === 0)
      throw new ConfigError(`oauth2 ${key} is required`)
  }
  if (!opts.issuerUrl && !opts.tokenUrl) throw new ConfigError('oauth2 needs an issuerUrl or a tokenUrl')
  const doFetch = opts.fetch ?? fetch
  const margin = opts.refreshMarginMs ?? 60_000
  let cached: { token: string; refreshAt: number } | undefined
  let inFlight: Promise<string> | undefined
  let tokenEndpoint = opts.tokenUrl

  // fetch() rejects with a bare TypeError when the server cannot be reached: say which server.
  async function request(url: string | URL, init?: RequestInit): Promise<Response> {
    try {
      return await doFetch(url, init)
    } catch (cause) {
      throw new ConnectionError(`OAuth2 server ${redactUrl(String(url))} unreachable: ${String(cause)}`, {
        cause,
      })
    }
  }

  async function endpoint(): Promise<string> {
    if (tokenEndpoint) return tokenEndpoint
    const issuer = opts.issuerUrl!
    const url = new URL('.well-known/openid-configuration', issuer.endsWith('/') ? issuer : issuer + '/')
    const res = await request(url)
    if (!res.ok) throw new AuthenticationError(`OAuth2 discovery at ${url.href} failed: HTTP ${res.status}`)
    const body = (await res.json()) as { token_endpoint?: unknown }
    if (typeof body.token_endpoint !== 'string')
      throw new AuthenticationError(`OAuth2 discovery at ${url.href} has no token_endpoint`)
    tokenEndpoint = body.token_endpoint
    return tokenEndpoint
  }

  async function fetchToken(): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: opts.clientId,
      client_secret: opts.clientSecret,
    })
    if (opts.audience) form.set('audience', opts.audience)
    if (opts.scope) form.set('scope', opts.scope)
    const url = await endpoint()
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
    })
    if (!res.ok) {
      // RFC 6749 §5.2: the error response names the reason (invalid_client, …); never the secret.
      const reason = await res
        .json()
        .then((b: unknown) => {
          const error = (b as { error?: unknown } | null)?.error
          return typeof error === 'string' ? ` (${error})` : ''
        })
        .catch(() => '')
      throw new AuthenticationError(
        `OAuth2 token request to ${redactUrl(url)} failed: HTTP ${res.status}${reason}`,
      )
    }
    const body = (await res.json()) as { access_token?: unknown; expires_in?: unknown }
    if (typeof body.access_token !== 'string' || body.access_token.length === 0)
      throw new AuthenticationError(`OAuth2 token response from ${redactUrl(url)} has no access_token`)
    const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : 3600_000
    cached = { token: body.access_token, refreshAt: Date.now() + ttl - Math.min(margin, ttl / 5) }
    return cached.token
  }

  return {
    method: 'token',
    async authData() {
      if (cached && Date.now() < cached.refreshAt) return encoder.encode(cached.token)
      inFlight ??= fetchToken().finally(() => (inFlight = undefined))
      return encoder.encode(await inFlight)
    },
  }
}

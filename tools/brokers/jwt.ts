// HS256 JSON Web Tokens for the pulsar-auth broker (Pulsar's AuthenticationProviderToken with a
// secret key). Signing is a few lines with node:crypto; no library needed.
import { createHmac } from 'node:crypto'

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url')
}

export function signHs256(claims: Record<string, unknown>, secret: Buffer): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))
  const payload = base64url(JSON.stringify(claims))
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')
  return `${header}.${payload}.${signature}`
}

// Service URLs: `pulsar://host[:6650]` and `pulsar+ssl://host[:6651]`, optionally with several
// comma-separated hosts (`pulsar://h1:6650,h2:6650`) tried in turn for lookups.

import { ConfigError, ProtocolError } from '../core/errors.ts'
import { redactUrl } from '../core/redact-url.ts'

export interface BrokerAddress {
  host: string
  port: number
  tls: boolean
  /** `pulsar://host:port` or `pulsar+ssl://host:port`, as lookups name brokers. */
  url: string
}

export function parseServiceUrl(url: string): BrokerAddress[] {
  const m = /^(pulsar|pulsar\+ssl):\/\/([^/?#]+)\/?(?:[?#].*)?$/i.exec(url.trim())
  if (!m)
    throw new ConfigError(
      `"${redactUrl(url)}" is not a Pulsar service URL: expected pulsar://host[:6650] or pulsar+ssl://host[:6651]`,
    )
  if (m[2]!.includes('@')) {
    // The binary protocol takes credentials from an auth provider, never from the URL; refusing
    // here also keeps a password out of the "invalid host" message below.
    throw new ConfigError(
      `"${redactUrl(url)}" has user info; credentials do not belong in a Pulsar URL: pass { token } or { auth } in the options`,
    )
  }
  const tls = m[1]!.toLowerCase() === 'pulsar+ssl'
  return m[2]!.split(',').map((hostPort) => parseHostPort(hostPort, tls, url))
}

function parseHostPort(hostPort: string, tls: boolean, url: string): BrokerAddress {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort)
  if (!m || m[1]!.length === 0)
    throw new ConfigError(`invalid host "${redactUrl(hostPort)}" in "${redactUrl(url)}"`)
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!
  const port = m[2] === undefined ? (tls ? 6651 : 6650) : Number(m[2])
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ConfigError(`invalid port in "${redactUrl(url)}"`)
  const shown = host.includes(':') ? `[${host}]` : host
  return { host, port, tls, url: `${tls ? 'pulsar+ssl' : 'pulsar'}://${shown}:${port}` }
}

/** Parses a broker URL from a lookup answer (one host). */
export function parseBrokerUrl(url: string): BrokerAddress {
  const list = parseServiceUrl(url)
  if (list.length !== 1) throw new ConfigError(`expected one broker in "${redactUrl(url)}"`)
  return list[0]!
}

/**
 * The broker URL to use from a lookup answer. A client that connected with TLS never falls back
 * to a plaintext address: that would send its token and messages in the clear. A broker that
 * names no TLS address is refused, as the Java client does.
 */
export function brokerUrlFromLookup(plain: string, tlsUrl: string, wantTls: boolean): string {
  if (wantTls) {
    if (!tlsUrl) {
      throw new ConfigError(
        `the lookup answer names no TLS address for the broker${plain ? ` (only ${plain})` : ''}; ` +
          'the client connected with pulsar+ssl:// and will not fall back to plaintext: give the broker a ' +
          'TLS port (brokerServicePortTls / an advertised TLS listener), or connect with pulsar:// deliberately',
      )
    }
    return tlsUrl
  }
  const url = plain || tlsUrl
  if (!url) throw new ProtocolError('lookup answer names no broker')
  return url
}

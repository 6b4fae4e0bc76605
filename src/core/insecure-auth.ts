// A password or bearer token sent over a plaintext connection can be read by anyone on the path.
// Conduit still allows it (local brokers, trusted networks) but says so once per client, through
// process.emitWarning — there is no logger API, and a warning with a stable code can be filtered
// (`process.on('warning')`, `--disable-warning=CONDUIT_INSECURE_AUTH`) or turned off with the
// client option `allowInsecureAuth: true`.

export const INSECURE_AUTH_WARNING = 'CONDUIT_INSECURE_AUTH'

/**
 * Warns that `what` (e.g. "SASL PLAIN credentials") goes to `where` without TLS, unless the
 * application opted out. Call once per client, when the client is created.
 */
export function warnInsecureAuth(what: string, where: string, allowInsecureAuth: boolean | undefined): void {
  if (allowInsecureAuth === true) return
  process.emitWarning(
    `${what} are sent to ${where} without TLS; anyone on the network path can read them. ` +
      'Use TLS, or set allowInsecureAuth: true to accept this.',
    { type: 'SecurityWarning', code: INSECURE_AUTH_WARNING },
  )
}

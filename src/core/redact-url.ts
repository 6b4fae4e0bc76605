// Broker URLs can carry secrets: `kafka://user:password@host` (SASL), `?token=…`, `?secretKey=…`.
// Every URL Conduit shows — `broker.url`, error messages, bench reports — goes through
// redactUrl() first, so a secret never reaches a terminal, a log or a CI transcript.

/** Query parameters whose value is a secret (matched case-insensitively, ignoring `_` and `-`). */
const SECRET_PARAMS =
  /^(token|password|passwd|pass|pwd|secret|secretkey|accesssecret|clientsecret|credentials?|auth|authparams|apikey|privatekey|jwt|sig|signature)$/

const MASK = '***'

function isSecretParam(name: string): boolean {
  let decoded = name
  try {
    decoded = decodeURIComponent(name)
  } catch {
    // A malformed escape: judge the raw name.
  }
  return SECRET_PARAMS.test(decoded.toLowerCase().replace(/[-_]/g, ''))
}

/**
 * The URL with the password of its user info replaced by `***` (`kafka://user:***@host`) and the
 * values of secret query parameters too (`?token=***`). Anything else — scheme, user name, hosts,
 * path, other parameters — stays as given, so the result still says which broker is meant. Works
 * on strings that are not WHATWG URLs (`file:./data`, `kafka://h1:9092,h2:9092`) and never throws.
 */
export function redactUrl(url: string): string {
  const queryAt = url.search(/[?#]/)
  let head = queryAt < 0 ? url : url.slice(0, queryAt)
  const tail = queryAt < 0 ? '' : url.slice(queryAt)

  // The last `@` before the query ends the user info: a password may itself hold `@` or `/`
  // when the user did not percent-encode it, and over-redacting beats leaking.
  const at = head.lastIndexOf('@')
  if (at >= 0) {
    // Where the user info starts: after `scheme://`; in a malformed URL (`kafka:/u:pw@h`) or a
    // bare `u:pw@host:port`, after the last `/` before the `@`, else at the start.
    const authorityAt = head.indexOf('://')
    const start = authorityAt >= 0 && authorityAt < at ? authorityAt + 3 : head.lastIndexOf('/', at) + 1
    const userInfo = head.slice(start, at)
    const colon = userInfo.indexOf(':')
    if (colon >= 0) head = `${head.slice(0, start)}${userInfo.slice(0, colon)}:${MASK}${head.slice(at)}`
  }

  const redactedTail = tail.replace(/([?&;])([^=&#;]*)=([^&#;]*)/g, (whole, sep: string, name: string) =>
    isSecretParam(name) ? `${sep}${name}=${MASK}` : whole,
  )
  return head + redactedTail
}

/**
 * Every URL found in a free text (an error message from a driver or the OS) redacted: the last
 * line of defence for messages that quoted a URL without redacting it.
 */
export function redactUrlsIn(text: string): string {
  return text.replace(/[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s"'<>`]+/g, (url) => redactUrl(url))
}

// A SASL mechanism as the Kafka connection drives it: after SaslHandshake picked the mechanism by
// name, each SaslAuthenticate round trip carries opaque bytes. The mechanism owns the content of
// those bytes; the connection owns the framing, the timeouts and turning failures into
// AuthenticationError.

/** Sends one client message (auth bytes) and resolves with the server's reply. */
export type SaslExchange = (clientMessage: Uint8Array) => Promise<Uint8Array>

export interface SaslMechanism {
  /** The mechanism name sent in SaslHandshake, e.g. `SCRAM-SHA-256`. */
  readonly name: string
  /** Runs the whole exchange; throws AuthenticationError when the server's answer is wrong. */
  authenticate(exchange: SaslExchange): Promise<void>
}

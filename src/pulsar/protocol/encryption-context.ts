// How an end-to-end encrypted Pulsar message was encrypted: what a decryptor needs besides the
// private key. Both drivers hand it out with messages they deliver undecrypted (the binary one
// from MessageMetadata, the WebSocket one from the server's `encryptionContext`), so it is
// defined once, here, and the WebSocket driver reuses it.

/** One encryption key of an encrypted message: its name's encrypted data key and metadata. */
export interface EncryptionKeyInfo {
  /** The message's data key, encrypted with this key's public key. */
  keyValue: Uint8Array
  metadata: Record<string, string>
}

export interface EncryptionContext {
  /** By key name. */
  keys: Record<string, EncryptionKeyInfo>
  /** The initialization vector (Pulsar's `encryption_param`). */
  param: Uint8Array
  algorithm: string | undefined
  /** Compression applied before encryption (`NONE`, `LZ4`, `ZLIB`, `ZSTD`, `SNAPPY`). */
  compressionType: string | undefined
  uncompressedMessageSize: number | undefined
  /** Messages in the encrypted batch; undefined when the entry is a single message. */
  batchSize: number | undefined
}

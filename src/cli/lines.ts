// Splits standard input into lines of raw bytes. Bytes, not text: a line that is not valid UTF-8
// is sent exactly as it was read. A line longer than the bound is not buffered (stdin may be
// endless); it is skipped up to its newline and reported with its length.

import { Buffer } from 'node:buffer'

export type Line =
  | { readonly number: number; readonly bytes: Uint8Array }
  | { readonly number: number; readonly tooLong: number }

const NEWLINE = 0x0a
const CARRIAGE_RETURN = 0x0d

export async function* readLines(
  source: AsyncIterable<Uint8Array | string>,
  maxLineBytes: number,
): AsyncGenerator<Line> {
  let parts: Buffer[] = []
  let length = 0
  // Bytes of the current line when it outgrew the bound, or -1 while it is within it.
  let overflow = -1
  let number = 0

  const finish = (): Line => {
    number++
    if (overflow >= 0) {
      const line = { number, tooLong: overflow }
      overflow = -1
      return line
    }
    let bytes: Uint8Array = parts.length === 1 ? parts[0]! : Buffer.concat(parts, length)
    // CRLF input (Windows, HTTP-ish tools): the CR belongs to the line ending, not the message.
    if (bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN)
      bytes = bytes.subarray(0, bytes.length - 1)
    parts = []
    length = 0
    return { number, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) }
  }

  for await (const chunk of source) {
    const buffer =
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    let start = 0
    for (;;) {
      const newline = buffer.indexOf(NEWLINE, start)
      const piece = buffer.subarray(start, newline === -1 ? buffer.length : newline)
      if (overflow >= 0) {
        overflow += piece.length
      } else if (length + piece.length > maxLineBytes) {
        overflow = length + piece.length
        parts = []
        length = 0
      } else if (piece.length > 0) {
        parts.push(piece)
        length += piece.length
      }
      if (newline === -1) break
      yield finish()
      start = newline + 1
    }
  }
  // A last line without a newline is still a line; an empty tail after the last newline is not.
  if (length > 0 || overflow >= 0) yield finish()
}

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readLines, type Line } from '../../src/cli/lines.ts'

async function collect(chunks: (string | Uint8Array)[], max = 100): Promise<Line[]> {
  async function* source(): AsyncGenerator<string | Uint8Array> {
    yield* chunks
  }
  const lines: Line[] = []
  for await (const line of readLines(source(), max)) lines.push(line)
  return lines
}

const text = (line: Line | undefined): string => {
  assert.ok(line && 'bytes' in line)
  return Buffer.from(line.bytes).toString('utf8')
}

void test('splits lines across chunk boundaries, keeps empty lines, drops CR of CRLF', async () => {
  const lines = await collect(['a', 'b\nc\r', '\n\nlast'])
  assert.deepEqual(lines.map(text), ['ab', 'c', '', 'last'])
  assert.deepEqual(
    lines.map((l) => l.number),
    [1, 2, 3, 4],
  )
})

void test('a trailing newline does not make an extra empty line; empty input has no lines', async () => {
  assert.deepEqual((await collect(['x\n'])).map(text), ['x'])
  assert.deepEqual(await collect([]), [])
  assert.deepEqual(await collect(['']), [])
})

void test('bytes that are not UTF-8 pass through unchanged', async () => {
  const [line] = await collect([new Uint8Array([0xff, 0xfe, 0x00, 0x0a])])
  assert.ok(line && 'bytes' in line)
  assert.deepEqual([...line.bytes], [0xff, 0xfe, 0x00])
})

void test('a line over the bound is reported with its length and the next line still arrives', async () => {
  const lines = await collect(['ok\n', 'x'.repeat(8), 'y'.repeat(8), '\nfine\n', 'z'.repeat(20)], 10)
  assert.equal(text(lines[0]), 'ok')
  assert.deepEqual(lines[1], { number: 2, tooLong: 16 })
  assert.equal(text(lines[2]), 'fine')
  assert.deepEqual(lines[3], { number: 4, tooLong: 20 })
  assert.equal(lines.length, 4)
})

void test('a line of exactly the bound is accepted', async () => {
  const lines = await collect(['0123456789\n'], 10)
  assert.equal(text(lines[0]), '0123456789')
})

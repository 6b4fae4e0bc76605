import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { NotFoundError } from '../../src/core/errors.ts'
import { connect } from '../../src/index.ts'

void test('create=false refuses a missing file: directory instead of creating it', async (t) => {
  const parent = await mkdtemp(path.join(tmpdir(), 'conduit-engines-'))
  t.after(() => rm(parent, { recursive: true, force: true }))
  const dir = path.join(parent, 'data')
  for (const open of [
    () => connect(`file:${dir}?create=false`),
    () => connect(`file:${dir}`, { create: false }),
  ]) {
    await assert.rejects(
      open(),
      (e: unknown) =>
        e instanceof NotFoundError &&
        e.code === 'CONDUIT_NOT_FOUND' &&
        e.path === dir &&
        e.message === `no broker data in ${dir}: the directory does not exist`,
    )
    assert.equal(existsSync(dir), false, 'nothing was created')
  }

  // Once a writer made it, a look-only connection opens it, also while the writer is open.
  const writer = await connect(`file:${dir}`)
  await writer.admin.createTopic('orders')
  const reader = await connect(`file:${dir}?create=false`)
  assert.deepEqual(await reader.admin.listTopics(), ['orders'])
  await reader.close()
  await writer.close()
  const again = await connect(`file:${dir}`, { create: false })
  assert.deepEqual(await again.admin.listTopics(), ['orders'])
  await again.close()
})

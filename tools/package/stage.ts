// Builds the package as npm would publish it, in a directory of its own: the compiled dist/, bin/,
// README and package.json, then `npm pack` of that directory. Checks and tests work on this copy,
// never on the checkout's dist/, so two test files running at once cannot rebuild a dist/ that the
// other is using.
//
//   node tools/package/stage.ts   prints the staged directory and the tarball's path

import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

export interface StagedPackage {
  /** The directory holding the package as published (package.json at its top). */
  dir: string
  /** The `npm pack` tarball of that directory. */
  tarball: string
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`,
    )
  }
  return result.stdout
}

/** Compiles and packs the package into a new temporary directory (the caller removes it). */
export function stagePackage(): StagedPackage {
  const work = mkdtempSync(join(tmpdir(), 'conduit-package-'))
  const dir = join(work, 'package')
  run(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', join(dir, 'dist')], root)
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] }
  for (const entry of manifest.files)
    if (entry !== 'dist') cpSync(join(root, entry), join(dir, entry), { recursive: true })
  cpSync(join(root, 'README.md'), join(dir, 'README.md'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2))
  // --ignore-scripts: the staged copy is already built; `prepare` would rebuild from a src/ it lacks.
  const packed = JSON.parse(
    run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], dir),
  ) as {
    filename: string
  }[]
  return { dir, tarball: join(work, packed[0]!.filename) }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const staged = stagePackage()
  console.log(`${staged.dir}\n${staged.tarball}`)
}

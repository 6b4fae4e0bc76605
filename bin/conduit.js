#!/usr/bin/env node
// The `conduit` command. Installed from npm, the package has only the compiled dist/. In a checkout
// of the repository the sources are here, and they are what runs (Node strips their types), so
// `npx conduit` works right after `npm ci`, with no build step and never from a stale dist/.
import { existsSync } from 'node:fs'

const sources = new URL('../src/cli/main.ts', import.meta.url)
const entry = existsSync(sources) ? sources : new URL('../dist/cli/main.js', import.meta.url)
const { runProcess } = await import(entry.href)

await runProcess(process.argv.slice(2))

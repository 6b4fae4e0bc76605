#!/usr/bin/env node
// The published entry point runs the compiled CLI; in a checkout use `npm run conduit -- …`.
import { runProcess } from '../dist/cli/main.js'

await runProcess(process.argv.slice(2))

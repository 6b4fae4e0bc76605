// While a command runs, everything the durable embedded broker reports on `conduit:storage:damage`
// (a torn tail cut on open, a damaged range kept, a range skipped, an index rebuilt, an offsets
// record skipped, a group position reset) is printed to standard error as a warning: data is
// never cut or skipped without the user seeing it.

import dc from 'node:diagnostics_channel'
import { STORAGE_DAMAGE_CHANNEL } from '../core/diagnostics.ts'
import type { StorageDamageEvent } from '../core/diagnostics.ts'
import type { OutputSink } from './io.ts'

/** Starts printing damage warnings to `stderr`; returns the function that stops it. */
export function warnOnDamage(stderr: OutputSink): () => void {
  const listener = (message: unknown): void => {
    stderr.write(`warning: ${describeDamage(message as StorageDamageEvent)}\n`)
  }
  dc.subscribe(STORAGE_DAMAGE_CHANNEL, listener)
  return () => dc.unsubscribe(STORAGE_DAMAGE_CHANNEL, listener)
}

export function describeDamage(event: StorageDamageEvent): string {
  const where = event.topic === undefined ? '' : ` ${event.topic}/${event.partition ?? 0}`
  let offsets = ''
  if (event.from !== undefined && event.kind !== 'offset-reset') {
    offsets =
      event.to === null || event.to === undefined
        ? ` offsets ${event.from} and later`
        : event.to - event.from === 1
          ? ` offset ${event.from}`
          : event.to > event.from
            ? ` offsets ${event.from} to ${event.to - 1}`
            : ''
  }
  const bytes = event.bytes ? `, ${event.bytes} bytes` : ''
  return `${KIND[event.kind]}${where}${offsets} (${event.file}${bytes}): ${event.reason}`
}

const KIND: Record<StorageDamageEvent['kind'], string> = {
  truncated: 'cut a torn tail of',
  damaged: 'damaged data in',
  skipped: 'skipped damaged data in',
  'index-rebuilt': 'rebuilt the index of',
  'offsets-skipped': 'skipped a damaged commit record',
  'offset-reset': 'reset the group position of',
}

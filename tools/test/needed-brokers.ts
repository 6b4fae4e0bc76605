// Which shared brokers a set of test files needs, read from the files themselves so nothing has
// to be kept in sync by hand: `useBroker('<kind>')` calls that are not exclusive, plus the broker
// each test/integration/<dir>/ is named after.

const DIRECTORY_BROKERS: Record<string, string> = {
  kafka: 'kafka',
  pulsar: 'pulsar',
  'pulsar-ws': 'pulsar',
  rocketmq: 'rocketmq',
}

// useBroker('kind') or useBroker("kind", { … }) — the options object is looked at for exclusive.
const CALL = /useBroker\(\s*['"]([a-z-]+)['"]\s*(?:,\s*(\{[^)]*\}))?\s*\)/g

export function neededBrokers(files: string[], read: (file: string) => string): string[] {
  const kinds = new Set<string>()
  for (const file of files) {
    const dir = /(?:^|\/)test\/integration\/([^/]+)\//.exec(file)?.[1]
    if (dir && DIRECTORY_BROKERS[dir]) kinds.add(DIRECTORY_BROKERS[dir])
    if (!dir) continue
    for (const match of read(file).matchAll(CALL)) {
      const options = match[2] ?? ''
      if (!/exclusive\s*:\s*true/.test(options)) kinds.add(match[1]!)
    }
  }
  return [...kinds].sort()
}

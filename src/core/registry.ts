// URL-scheme registry (libbeat's RegisterType / FindFactory). Network drivers are loaded on
// demand so that an application only pays for the drivers it uses.

import type { Broker, ConnectOptions, Driver } from './contract.ts'
import { ConfigError } from './errors.ts'
import { redactUrl } from './redact-url.ts'

type DriverLoader = () => Promise<Driver>

const loaders = new Map<string, DriverLoader>()

/** Registers a driver (or a loader that imports it) for one or more URL schemes, e.g. `kafka`. */
export function registerDriver(schemes: string | readonly string[], driver: Driver | DriverLoader): void {
  const loader: DriverLoader = typeof driver === 'function' ? driver : () => Promise.resolve(driver)
  for (const scheme of typeof schemes === 'string' ? [schemes] : schemes) {
    if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) throw new ConfigError(`invalid URL scheme "${scheme}"`)
    loaders.set(scheme, loader)
  }
}

/** The scheme of a broker URL without the colon, lower-cased: `kafka+ssl://h:1` → `kafka+ssl`. */
export function schemeOf(url: string): string {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)
  if (!match) {
    throw new ConfigError(
      `"${redactUrl(url)}" is not a broker URL: expected scheme:…, e.g. memory:, file:./data, kafka://127.0.0.1:9092`,
    )
  }
  return match[1]!.toLowerCase()
}

export function registeredSchemes(): string[] {
  return [...loaders.keys()].sort()
}

export async function findDriver(url: string): Promise<Driver> {
  const scheme = schemeOf(url)
  const loader = loaders.get(scheme)
  if (!loader) {
    throw new ConfigError(
      `no driver for URL scheme "${scheme}:" — known schemes: ${registeredSchemes().join(', ')}`,
    )
  }
  return loader()
}

/** Connects to the broker a URL names, loading its driver if needed. */
export async function connect(url: string, options: ConnectOptions = {}): Promise<Broker> {
  const driver = await findDriver(url)
  return driver.connect(url, options)
}

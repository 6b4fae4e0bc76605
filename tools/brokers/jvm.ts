// The command line of a broker JVM. Heaps are sized so that all three single-node brokers fit
// together on a 2-core machine next to the tests; the stock scripts ask for several GiB each.
import { join } from 'node:path'

export interface JvmOptions {
  classpath: string
  main: string
  args: string[]
  heap: string
  directMemory?: string
  /** -D system properties. */
  properties?: Record<string, string>
  extraFlags?: string[]
}

export function javaExecutable(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java'
}

export function javaArgv(options: JvmOptions): string[] {
  return [
    javaExecutable(),
    '-Xms64m',
    `-Xmx${options.heap}`,
    ...(options.directMemory ? [`-XX:MaxDirectMemorySize=${options.directMemory}`] : []),
    // Two cores are shared by everything: cap GC and JIT threads, fail fast on OOM.
    '-XX:+UseG1GC',
    '-XX:ParallelGCThreads=2',
    '-XX:ConcGCThreads=1',
    '-XX:CICompilerCount=2',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.net.preferIPv4Stack=true',
    '-Djava.awt.headless=true',
    ...(options.extraFlags ?? []),
    ...Object.entries(options.properties ?? {}).map(([key, value]) => `-D${key}=${value}`),
    '-cp',
    join(options.classpath, '*'),
    options.main,
    ...options.args,
  ]
}

/** log4j2 configuration that writes everything to stdout, which is the process's log file. */
export function log4j2Properties(rootLevel: string, quieter: Record<string, string> = {}): string {
  const lines = [
    'status = warn',
    'appender.out.type = Console',
    'appender.out.name = out',
    'appender.out.layout.type = PatternLayout',
    'appender.out.layout.pattern = %d{HH:mm:ss.SSS} %-5p [%t] %c{1.} - %m%n',
    `rootLogger.level = ${rootLevel}`,
    'rootLogger.appenderRef.out.ref = out',
  ]
  let i = 0
  for (const [logger, level] of Object.entries(quieter)) {
    lines.push(`logger.q${i}.name = ${logger}`, `logger.q${i}.level = ${level}`)
    i++
  }
  return lines.join('\n') + '\n'
}

/** Java properties file text; values are written as-is (no escaping needed for ours). */
export function propertiesText(entries: Record<string, string | number | boolean>): string {
  return (
    Object.entries(entries)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join('\n') + '\n'
  )
}

// Java and Maven are the only things the brokers need from the machine. When either is missing
// the tests must fail loudly with a message that says what to install, never skip.
import { spawnSync } from 'node:child_process'

export class MissingPrerequisiteError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MissingPrerequisiteError'
  }
}

let javaChecked = false
let mavenChecked = false

export function requireJava(): void {
  if (javaChecked) return
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' })
  if (result.error || result.status !== 0) {
    throw new MissingPrerequisiteError(
      'Java 17+ is required to run the real brokers (Kafka, Pulsar, RocketMQ) but `java -version` failed' +
        (result.error ? `: ${result.error.message}` : '') +
        '. Install it, e.g. `apt-get install -y openjdk-17-jdk-headless`.',
    )
  }
  const match = /version "(\d+)/.exec(result.stderr + result.stdout)
  const major = match ? Number(match[1]) : 0
  if (major < 17) {
    throw new MissingPrerequisiteError(
      `Java 17+ is required to run the real brokers; found: ${match?.[0] ?? 'unknown'}.`,
    )
  }
  javaChecked = true
}

export function requireMaven(): void {
  if (mavenChecked) return
  const result = spawnSync('mvn', ['-v'], { encoding: 'utf8' })
  if (result.error || result.status !== 0) {
    throw new MissingPrerequisiteError(
      'Maven is required to fetch the real brokers from Maven Central but `mvn -v` failed' +
        (result.error ? `: ${result.error.message}` : '') +
        '. Install it, e.g. `apt-get install -y maven`.',
    )
  }
  mavenChecked = true
}

export function requireOpenssl(): void {
  const result = spawnSync('openssl', ['version'], { encoding: 'utf8' })
  if (result.error || result.status !== 0) {
    throw new MissingPrerequisiteError(
      'openssl is required to generate the TLS certificates of the *-tls brokers. Install it, e.g. `apt-get install -y openssl`.',
    )
  }
}

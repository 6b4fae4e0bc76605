// rocketmq-mtls: the rocketmq-tls setup (tools/brokers/rocketmq.ts) whose broker also *requires* a
// client certificate signed by the generated CA. RocketMQ reads its remoting TLS settings from JVM
// system properties (TlsSystemConfig), so this wraps the rocketmq-tls launcher and changes only the
// broker's command line: `tls.server.need.client.auth=require` and the CA it trusts clients by
// (`tls.server.trustCertPath`). The name server stays permissive without client auth, so the
// broker's own registration with it is unchanged. Tests get the client certificate in tls.cert/key.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LaunchContext, Launcher, PreparedBroker } from './launcher.ts'
import { rocketmqLauncher } from './rocketmq.ts'

const NO_CLIENT_AUTH = '-Dtls.server.need.client.auth=none'

async function prepare(context: LaunchContext): Promise<PreparedBroker> {
  const prepared = await rocketmqLauncher.prepare({ ...context, kind: 'rocketmq-tls' })
  const tlsDir = join(context.workDir, 'tls')
  const broker = prepared.specs.find((spec) => spec.name === 'rocketmq-broker')
  const at = broker?.argv.indexOf(NO_CLIENT_AUTH) ?? -1
  // Fail loudly if rocketmq.ts changes how it configures TLS, instead of silently testing less.
  if (!broker || at < 0)
    throw new Error(`rocketmq-mtls: the rocketmq-tls broker command line has no ${NO_CLIENT_AUTH}`)
  broker.argv.splice(
    at,
    1,
    '-Dtls.server.need.client.auth=require',
    `-Dtls.server.trustCertPath=${join(tlsDir, 'ca.pem')}`,
  )
  const read = (name: string): string => readFileSync(join(tlsDir, name), 'utf8')
  return {
    specs: prepared.specs,
    state: {
      ...prepared.state,
      kind: context.kind,
      tls: { ca: read('ca.pem'), cert: read('client.pem'), key: read('client.key') },
    },
  }
}

export const rocketmqMtlsLauncher: Launcher = { ...rocketmqLauncher, prepare }

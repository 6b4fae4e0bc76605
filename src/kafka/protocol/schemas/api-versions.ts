// ApiVersions (key 18): which versions of every API the broker serves. The first request on a
// connection; its response header is always v0 (no tagged fields) even in flexible versions, so
// a client that guessed a version the broker lacks can still read the error and the list.
import { f, list, type ApiSchema } from '../schema.ts'

export const ApiVersions = {
  apiKey: 18,
  name: 'ApiVersions',
  versions: '0-4',
  flexible: '3+',
  request: [f('clientSoftwareName', 'string', '3+'), f('clientSoftwareVersion', 'string', '3+')],
  response: [
    f('errorCode', 'int16', '0+'),
    list('apiKeys', '0+', [
      f('apiKey', 'int16', '0+'),
      f('minVersion', 'int16', '0+'),
      f('maxVersion', 'int16', '0+'),
    ]),
    f('throttleTimeMs', 'int32', '1+'),
    list(
      'supportedFeatures',
      '3+',
      [f('name', 'string', '3+'), f('minVersion', 'int16', '3+'), f('maxVersion', 'int16', '3+')],
      { tag: 0 },
    ),
    f('finalizedFeaturesEpoch', 'int64', '3+', { tag: 1, default: -1n }),
    list(
      'finalizedFeatures',
      '3+',
      [f('name', 'string', '3+'), f('maxVersionLevel', 'int16', '3+'), f('minVersionLevel', 'int16', '3+')],
      { tag: 2 },
    ),
    f('zkMigrationReady', 'bool', '3+', { tag: 3, default: false }),
  ],
} as const satisfies ApiSchema

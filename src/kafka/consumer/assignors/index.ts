// The assignors a consumer can name in its `assignors` option, in preference order.

import { ConfigError } from '../../../core/errors.ts'
import { cooperativeStickyAssignor } from './cooperative-sticky.ts'
import { rangeAssignor } from './range.ts'
import { roundRobinAssignor } from './round-robin.ts'
import type { Assignor } from './types.ts'

export type { Assignor, AssignorMember, Assignment, TopicPartitions } from './types.ts'
export { cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor }

const BUILT_IN: Record<string, Assignor> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  'round-robin': roundRobinAssignor,
  'cooperative-sticky': cooperativeStickyAssignor,
}

export function resolveAssignors(option: readonly (string | Assignor)[] | undefined): Assignor[] {
  const list = option ?? ['cooperative-sticky']
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError('assignors must be a non-empty array')
  const out = list.map((a) => {
    if (typeof a === 'string') {
      const found = BUILT_IN[a]
      if (!found)
        throw new ConfigError(
          `unknown assignor "${a}": use range, roundrobin, cooperative-sticky or an object`,
        )
      return found
    }
    if (!a || typeof a.name !== 'string' || typeof a.assign !== 'function') {
      throw new ConfigError(
        'a custom assignor needs a name, rebalance ("eager" | "cooperative") and assign()',
      )
    }
    return a
  })
  // Mixing eager and cooperative in one member is how Java's upgrade path works, but the member
  // must then behave eagerly until every member agreed; keep it simple and refuse the mix.
  if (new Set(out.map((a) => a.rebalance)).size > 1) {
    throw new ConfigError(
      'assignors must all be eager (range, roundrobin) or all cooperative (cooperative-sticky)',
    )
  }
  return out
}

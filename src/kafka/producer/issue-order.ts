// Keeps Produce requests to one broker in the order the sender dispatched them.
//
// Between dispatch and the write to the socket a request awaits the producer id, compression and
// the connection, and those can finish in any order. With several batches of a partition in flight
// the broker must see them in sequence order (it refuses a sequence gap), so each request waits
// until the one dispatched before it to the same broker has been handed to the connection, which
// writes in call order. A request with nobody ahead of it does not wait at all (no extra tick on
// the single-send path).

export interface IssueTurn {
  /** Resolves when the request ahead has been issued; undefined when nobody is ahead. */
  readonly ahead: Promise<void> | undefined
  /** This request was handed to the connection (or gave up): the next one may go. */
  issued(): void
}

export class IssueOrder {
  readonly #tails = new Map<number, Promise<void>>()

  enter(node: number): IssueTurn {
    const ahead = this.#tails.get(node)
    let release!: () => void
    const mine = new Promise<void>((resolve) => (release = resolve))
    this.#tails.set(node, mine)
    let done = false
    return {
      ahead,
      issued: () => {
        if (done) return
        done = true
        release()
        if (this.#tails.get(node) === mine) this.#tails.delete(node)
      },
    }
  }
}

// A node:test reporter that writes one JSON line per failing test — file, name and the first line
// of its error — so the runner (tools/test/run.ts) can list every failure at the end of a long run
// and re-run the files they came from. It sits beside the human-readable `spec` reporter.

export interface FailureLine {
  file: string
  name: string
  error: string
}

interface TestEventData {
  name?: string
  file?: string
  details?: { error?: unknown }
}

interface TestEvent {
  type: string
  data?: TestEventData
}

export function failureFromEvent(event: TestEvent): FailureLine | undefined {
  if (event.type !== 'test:fail' || !event.data) return undefined
  const { name = '', file, details } = event.data
  if (!file) return undefined
  return { file, name, error: firstLine(details?.error) }
}

function firstLine(error: unknown): string {
  // node:test wraps a test's error in ERR_TEST_FAILURE with the original as `cause`.
  const inner = error instanceof Error && error.cause instanceof Error ? error.cause : error
  const text = inner instanceof Error ? inner.message : String(inner)
  return text.split('\n', 1)[0]?.slice(0, 300) ?? ''
}

export default async function* failureReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for await (const event of source) {
    const failure = failureFromEvent(event)
    if (failure) yield `${JSON.stringify(failure)}\n`
  }
}

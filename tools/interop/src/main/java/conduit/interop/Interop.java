package conduit.interop;

/** One broker's official client, producing or consuming as the command line says. */
interface Interop {
  /** Returns the process exit status. */
  int produce(Options options) throws Exception;

  /** Returns 0 when --count messages arrived, 2 when the timeout came first. */
  int consume(Options options) throws Exception;
}

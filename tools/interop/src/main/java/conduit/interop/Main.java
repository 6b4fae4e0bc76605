package conduit.interop;

/**
 * The official clients of Kafka, Pulsar and RocketMQ behind one command line:
 *
 * <pre>
 * &lt;kafka|pulsar|rocketmq&gt; &lt;produce|consume&gt; --url URL --topic T --count N
 *   [--compression none|gzip|snappy|lz4|zstd|zlib] [--batch on|off] [--group G]
 *   [--from earliest|latest] [--stdin] [--timeout-ms T]
 *   kafka:    [--transactional commit|rollback] [--sasl MECHANISM:user:password] [--ca-file PEM]
 *   pulsar:   [--token JWT] [--ca-file PEM] [--subscription-type exclusive|shared|failover|key_shared]
 *   rocketmq: [--tag TAG] [--keys] [--ordered] [--transactional commit|rollback|check]
 *             [--access-key AK --secret-key SK]
 * </pre>
 *
 * produce prints one JSON line per acknowledged send; consume prints one JSON line per message.
 * Exit status: 0 on success, 2 when consume timed out before --count messages, 1 on any error.
 */
public final class Main {
  public static void main(String[] args) {
    int status;
    try {
      Options options = new Options(args);
      Interop interop =
          switch (options.broker) {
            case "kafka" -> new KafkaInterop();
            case "pulsar" -> new PulsarInterop();
            case "rocketmq" -> new RocketmqInterop();
            default -> throw new IllegalArgumentException("unknown broker: " + options.broker);
          };
      status =
          switch (options.action) {
            case "produce" -> interop.produce(options);
            case "consume" -> interop.consume(options);
            default -> throw new IllegalArgumentException("unknown action: " + options.action);
          };
    } catch (Throwable error) {
      System.err.println("interop error: " + error);
      error.printStackTrace(System.err);
      status = 1;
    }
    System.out.flush();
    // Client libraries leave non-daemon threads behind; the JSON lines are already written.
    Runtime.getRuntime().halt(status);
  }
}

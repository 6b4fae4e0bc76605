package conduit.interop;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Command-line flags: `--name value` pairs, and `--flag` alone for booleans such as --stdin. */
final class Options {
  private static final List<String> BOOLEAN_FLAGS = List.of("stdin");
  final String broker;
  final String action;
  private final Map<String, String> values = new HashMap<>();

  Options(String[] args) {
    if (args.length < 2) {
      throw new IllegalArgumentException(
          "usage: <kafka|pulsar|rocketmq> <produce|consume> --url URL --topic T --count N [flags]");
    }
    broker = args[0];
    action = args[1];
    for (int i = 2; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) throw new IllegalArgumentException("unexpected argument: " + arg);
      String name = arg.substring(2);
      if (BOOLEAN_FLAGS.contains(name)) {
        values.put(name, "true");
      } else {
        if (i + 1 >= args.length) throw new IllegalArgumentException("missing value for " + arg);
        values.put(name, args[++i]);
      }
    }
  }

  String get(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  String require(String name) {
    String value = values.get(name);
    if (value == null) throw new IllegalArgumentException("--" + name + " is required");
    return value;
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  int count() {
    return Integer.parseInt(require("count"));
  }

  long timeoutMs() {
    return Long.parseLong(get("timeout-ms", "60000"));
  }

  boolean batching() {
    return !"off".equals(get("batch", "on"));
  }

  String compression() {
    return get("compression", "none");
  }

  boolean fromEarliest() {
    return !"latest".equals(get("from", "earliest"));
  }

  /** The URL without its scheme: `kafka://h:p,h:p` becomes `h:p,h:p`. */
  String hostPorts() {
    String url = require("url");
    int scheme = url.indexOf("://");
    return scheme >= 0 ? url.substring(scheme + 3) : url;
  }
}

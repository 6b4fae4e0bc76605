package conduit.interop;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/** One JSON object per line on stdout, in the shape of `conduit consume --format json`. */
final class JsonOut {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  static synchronized void print(ObjectNode node) {
    System.out.println(node.toString());
    System.out.flush();
  }

  /** A consumed message: value as UTF-8 text when it is valid UTF-8, else base64 with "encoding". */
  static ObjectNode message(
      String topic, int partition, Long offset, String key, byte[] value, Map<String, String> headers, long timestamp) {
    ObjectNode node = object();
    node.put("topic", topic);
    node.put("partition", partition);
    if (offset == null) node.putNull("offset");
    else node.put("offset", offset);
    if (key == null) node.putNull("key");
    else node.put("key", key);
    if (value == null) {
      node.putNull("value");
    } else {
      String text = utf8OrNull(value);
      if (text != null) {
        node.put("value", text);
      } else {
        node.put("value", Base64.getEncoder().encodeToString(value));
        node.put("encoding", "base64");
      }
    }
    ObjectNode h = node.putObject("headers");
    headers.forEach(h::put);
    node.put("timestamp", timestamp);
    return node;
  }

  private static String utf8OrNull(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}

package conduit.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A message to produce: generated (key k-i, value v-i, header i=i) or read from stdin as JSON lines
 * {"key": …, "value": …, "headers": {…}} (value may be base64 with "encoding": "base64").
 */
record OutgoingMessage(String key, byte[] value, Map<String, String> headers) {

  static List<OutgoingMessage> load(Options options) throws IOException {
    List<OutgoingMessage> messages = new ArrayList<>();
    if (options.has("stdin")) {
      ObjectMapper mapper = new ObjectMapper();
      BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line; (line = reader.readLine()) != null; ) {
        if (line.isBlank()) continue;
        messages.add(fromJson(mapper.readTree(line)));
      }
      return messages;
    }
    int count = options.count();
    for (int i = 0; i < count; i++) {
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("i", Integer.toString(i));
      messages.add(new OutgoingMessage("k-" + i, ("v-" + i).getBytes(StandardCharsets.UTF_8), headers));
    }
    return messages;
  }

  private static OutgoingMessage fromJson(JsonNode node) {
    String key = node.hasNonNull("key") ? node.get("key").asText() : null;
    String text = node.hasNonNull("value") ? node.get("value").asText() : "";
    boolean base64 = "base64".equals(node.path("encoding").asText());
    byte[] value = base64 ? Base64.getDecoder().decode(text) : text.getBytes(StandardCharsets.UTF_8);
    Map<String, String> headers = new LinkedHashMap<>();
    JsonNode h = node.path("headers");
    for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      headers.put(e.getKey(), e.getValue().asText());
    }
    return new OutgoingMessage(key, value, headers);
  }
}

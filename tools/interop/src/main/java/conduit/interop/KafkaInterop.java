package conduit.interop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** org.apache.kafka:kafka-clients. */
final class KafkaInterop implements Interop {

  private static Properties common(Options options) {
    Properties props = new Properties();
    props.put("bootstrap.servers", options.hostPorts());
    props.put("client.id", "conduit-interop");
    String sasl = options.get("sasl", null);
    String ca = options.get("ca-file", null);
    if (sasl != null) {
      String[] parts = sasl.split(":", 3);
      String mechanism = parts[0];
      String module =
          mechanism.equals("PLAIN")
              ? "org.apache.kafka.common.security.plain.PlainLoginModule"
              : "org.apache.kafka.common.security.scram.ScramLoginModule";
      props.put("sasl.mechanism", mechanism);
      props.put(
          "sasl.jaas.config",
          module + " required username=\"" + parts[1] + "\" password=\"" + parts[2] + "\";");
    }
    if (ca != null) {
      props.put("ssl.truststore.type", "PEM");
      props.put("ssl.truststore.location", ca);
    }
    if (sasl != null && ca != null) props.put("security.protocol", "SASL_SSL");
    else if (sasl != null) props.put("security.protocol", "SASL_PLAINTEXT");
    else if (ca != null) props.put("security.protocol", "SSL");
    return props;
  }

  @Override
  public int produce(Options options) throws Exception {
    List<OutgoingMessage> messages = OutgoingMessage.load(options);
    Properties props = common(options);
    props.put("key.serializer", StringSerializer.class.getName());
    props.put("value.serializer", ByteArraySerializer.class.getName());
    props.put("acks", "all");
    props.put("compression.type", options.compression().equals("zlib") ? "gzip" : options.compression());
    if (options.batching()) {
      props.put("linger.ms", "20");
    } else {
      // batch.size 0 puts every record in its own batch.
      props.put("batch.size", "0");
      props.put("linger.ms", "0");
    }
    String transactional = options.get("transactional", null);
    if (transactional != null) props.put("transactional.id", "conduit-interop-" + UUID.randomUUID());
    String topic = options.require("topic");
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props)) {
      if (transactional != null) {
        producer.initTransactions();
        producer.beginTransaction();
      }
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (OutgoingMessage m : messages) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, m.key(), m.value());
        m.headers().forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
        acks.add(producer.send(record));
      }
      if (transactional != null) {
        if (transactional.equals("rollback")) producer.abortTransaction();
        else producer.commitTransaction();
      } else {
        producer.flush();
      }
      for (Future<RecordMetadata> ack : acks) {
        RecordMetadata meta = ack.get();
        ObjectNode node = JsonOut.object();
        node.put("partition", meta.partition());
        node.put("offset", meta.offset());
        JsonOut.print(node);
      }
    }
    return 0;
  }

  @Override
  public int consume(Options options) throws Exception {
    Properties props = common(options);
    props.put("key.deserializer", StringDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    // Without --group the consumer assigns itself every partition: a test that only checks what
    // the records decode to then does not depend on a group join on a busy shared broker.
    String group = options.get("group", null);
    if (group != null) props.put("group.id", group);
    props.put("auto.offset.reset", options.fromEarliest() ? "earliest" : "latest");
    props.put("enable.auto.commit", "false");
    props.put("isolation.level", options.get("isolation", "read_committed"));
    String topic = options.require("topic");
    int count = options.count();
    long deadline = System.currentTimeMillis() + options.timeoutMs();
    int seen = 0;
    int emptyPolls = 0;
    Map<TopicPartition, Long> starts = new LinkedHashMap<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      if (group != null) {
        consumer.subscribe(List.of(topic));
      } else {
        List<TopicPartition> partitions = partitionsOf(consumer, topic, deadline);
        consumer.assign(partitions);
        if (options.fromEarliest()) consumer.seekToBeginning(partitions);
        else consumer.seekToEnd(partitions);
        // Resolves the seek now, and keeps where it landed for a stall report: a consumer that
        // reads nothing could have started past the records or skipped them.
        for (TopicPartition tp : partitions) starts.put(tp, consumer.position(tp, Duration.ofSeconds(30)));
      }
      while (seen < count && System.currentTimeMillis() < deadline) {
        var records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) emptyPolls++;
        for (ConsumerRecord<String, byte[]> r : records) {
          Map<String, String> headers = new LinkedHashMap<>();
          for (Header h : r.headers()) headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
          JsonOut.print(JsonOut.message(r.topic(), r.partition(), r.offset(), r.key(), r.value(), headers, r.timestamp()));
          if (++seen >= count) break;
        }
      }
      if (seen < count) {
        System.err.println("stalled: " + seen + " records after " + emptyPolls + " empty polls; started at " + starts);
        describeStall(consumer);
      }
      if (seen > 0 && group != null) consumer.commitSync();
    }
    return seen >= count ? 0 : 2;
  }

  /** The topic's partitions, waiting (bounded by the deadline) until the broker knows them. */
  private static List<TopicPartition> partitionsOf(
      KafkaConsumer<String, byte[]> consumer, String topic, long deadline) throws InterruptedException {
    while (true) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
      if (infos != null && !infos.isEmpty()) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : infos) partitions.add(new TopicPartition(topic, info.partition()));
        return partitions;
      }
      if (System.currentTimeMillis() > deadline) throw new IllegalStateException("no partitions for " + topic);
      Thread.sleep(200);
    }
  }

  /** On a timeout, says on stderr where the consumer stood, so a failing test shows why. */
  private static void describeStall(KafkaConsumer<String, byte[]> consumer) {
    try {
      var assignment = consumer.assignment();
      System.err.println("stalled: assignment " + assignment);
      if (assignment.isEmpty()) return;
      var beginnings = consumer.beginningOffsets(assignment, Duration.ofSeconds(5));
      var ends = consumer.endOffsets(assignment, Duration.ofSeconds(5));
      for (TopicPartition tp : assignment) {
        System.err.println(
            "stalled: " + tp + " position " + consumer.position(tp, Duration.ofSeconds(5)) + " beginning "
                + beginnings.get(tp) + " end " + ends.get(tp));
      }
    } catch (RuntimeException e) {
      System.err.println("stalled: could not describe the consumer: " + e);
    }
  }
}

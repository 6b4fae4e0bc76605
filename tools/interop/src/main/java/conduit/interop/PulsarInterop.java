package conduit.interop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.AuthenticationFactory;
import org.apache.pulsar.client.api.ClientBuilder;
import org.apache.pulsar.client.api.CompressionType;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.ProducerBuilder;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.ReaderBuilder;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;
import org.apache.pulsar.client.api.TypedMessageBuilder;
import org.apache.pulsar.client.impl.MessageIdImpl;
import org.apache.pulsar.client.impl.BatchMessageIdImpl;
import org.apache.pulsar.common.naming.TopicName;

/** org.apache.pulsar:pulsar-client. */
final class PulsarInterop implements Interop {

  private static PulsarClient client(Options options) throws Exception {
    ClientBuilder builder = PulsarClient.builder().serviceUrl(options.require("url"));
    String token = options.get("token", null);
    if (token != null) builder.authentication(AuthenticationFactory.token(token));
    String ca = options.get("ca-file", null);
    if (ca != null) builder.tlsTrustCertsFilePath(ca).enableTlsHostnameVerification(false);
    return builder.operationTimeout(30, TimeUnit.SECONDS).build();
  }

  private static CompressionType compression(String name) {
    return switch (name) {
      case "none" -> CompressionType.NONE;
      case "lz4" -> CompressionType.LZ4;
      case "zlib", "gzip" -> CompressionType.ZLIB;
      case "zstd" -> CompressionType.ZSTD;
      case "snappy" -> CompressionType.SNAPPY;
      default -> throw new IllegalArgumentException("pulsar has no compression " + name);
    };
  }

  /** ledger:entry:partition:batchIndex, the same four numbers Conduit's Pulsar ids carry. */
  static String idString(MessageId id) {
    if (id instanceof BatchMessageIdImpl b) {
      return b.getLedgerId() + ":" + b.getEntryId() + ":" + b.getPartitionIndex() + ":" + b.getBatchIndex();
    }
    if (id instanceof MessageIdImpl m) {
      return m.getLedgerId() + ":" + m.getEntryId() + ":" + m.getPartitionIndex() + ":-1";
    }
    return id.toString();
  }

  private static int partitionOf(MessageId id) {
    if (id instanceof MessageIdImpl m) return m.getPartitionIndex();
    return -1;
  }

  @Override
  public int produce(Options options) throws Exception {
    List<OutgoingMessage> messages = OutgoingMessage.load(options);
    // --chunking on: values over --chunk-size bytes (default 1024) go out as chunks (no batching).
    boolean chunking = "on".equals(options.get("chunking", "off"));
    long eventTime = Long.parseLong(options.get("event-time", "0"));
    try (PulsarClient client = client(options)) {
      ProducerBuilder<byte[]> builder =
          client
              .newProducer()
              .topic(options.require("topic"))
              .compressionType(compression(options.compression()))
              .enableBatching(options.batching() && !chunking)
              .batchingMaxPublishDelay(10, TimeUnit.MILLISECONDS)
              .blockIfQueueFull(true);
      if (chunking) {
        builder.enableChunking(true).chunkMaxMessageSize(Integer.parseInt(options.get("chunk-size", "1024")));
      }
      // --encryption-key NAME --encryption-public-key PEM-FILE: end-to-end encrypted messages.
      String encryptionKey = options.get("encryption-key", null);
      if (encryptionKey != null) {
        builder
            .addEncryptionKey(encryptionKey)
            .defaultCryptoKeyReader("file://" + options.require("encryption-public-key"));
      }
      try (Producer<byte[]> producer = builder.create()) {
        List<CompletableFuture<MessageId>> acks = new ArrayList<>();
        for (OutgoingMessage m : messages) {
          TypedMessageBuilder<byte[]> message = producer.newMessage().value(m.value()).properties(m.headers());
          if (m.key() != null) message.key(m.key());
          if (eventTime > 0) message.eventTime(eventTime);
          acks.add(message.sendAsync());
        }
        producer.flush();
        for (CompletableFuture<MessageId> ack : acks) {
          MessageId id = ack.get();
          ObjectNode node = JsonOut.object();
          node.put("partition", partitionOf(id));
          node.put("messageId", idString(id));
          JsonOut.print(node);
        }
      }
    }
    return 0;
  }

  /**
   * --start-message-id BASE64: a Reader starting at that id (MessageId.fromByteArray, the format
   * Conduit's MessageId.toBytes writes), exclusive unless --start-inclusive on.
   */
  private static int read(Options options, String startId) throws Exception {
    int count = options.count();
    long deadline = System.currentTimeMillis() + options.timeoutMs();
    int seen = 0;
    MessageId start = MessageId.fromByteArray(Base64.getDecoder().decode(startId));
    try (PulsarClient client = client(options)) {
      ReaderBuilder<byte[]> builder = client.newReader().topic(options.require("topic")).startMessageId(start);
      if ("on".equals(options.get("start-inclusive", "off"))) builder.startMessageIdInclusive();
      try (Reader<byte[]> reader = builder.create()) {
        while (seen < count) {
          long left = deadline - System.currentTimeMillis();
          if (left <= 0) break;
          Message<byte[]> m = reader.readNext((int) Math.min(left, 500), TimeUnit.MILLISECONDS);
          if (m == null) continue;
          JsonOut.print(describe(m));
          seen++;
        }
      }
    }
    return seen >= count ? 0 : 2;
  }

  private static ObjectNode describe(Message<byte[]> m) {
    String topic = m.getTopicName();
    int partition = TopicName.get(topic).getPartitionIndex();
    ObjectNode node =
        JsonOut.message(
            topic, partition, null, m.hasKey() ? m.getKey() : null, m.getValue(), m.getProperties(), m.getPublishTime());
    node.put("id", idString(m.getMessageId()));
    if (m.getEventTime() > 0) node.put("eventTime", m.getEventTime());
    node.put("redeliveryCount", m.getRedeliveryCount());
    return node;
  }

  @Override
  public int consume(Options options) throws Exception {
    String startId = options.get("start-message-id", null);
    if (startId != null) return read(options, startId);
    int count = options.count();
    long deadline = System.currentTimeMillis() + options.timeoutMs();
    int seen = 0;
    SubscriptionType type =
        switch (options.get("subscription-type", "exclusive")) {
          case "shared" -> SubscriptionType.Shared;
          case "failover" -> SubscriptionType.Failover;
          case "key_shared" -> SubscriptionType.Key_Shared;
          default -> SubscriptionType.Exclusive;
        };
    try (PulsarClient client = client(options);
        Consumer<byte[]> consumer =
            client
                .newConsumer()
                .topic(options.require("topic"))
                .subscriptionName(options.get("group", "conduit-interop-" + UUID.randomUUID()))
                .subscriptionType(type)
                .subscriptionInitialPosition(
                    options.fromEarliest() ? SubscriptionInitialPosition.Earliest : SubscriptionInitialPosition.Latest)
                .subscribe()) {
      while (seen < count) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) break;
        Message<byte[]> m = consumer.receive((int) Math.min(left, 500), TimeUnit.MILLISECONDS);
        if (m == null) continue;
        JsonOut.print(describe(m));
        consumer.acknowledge(m);
        seen++;
      }
    }
    return seen >= count ? 0 : 2;
  }
}

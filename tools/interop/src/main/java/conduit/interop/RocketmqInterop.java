package conduit.interop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.common.compression.CompressionType;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.RPCHook;

/** org.apache.rocketmq:rocketmq-client (remoting protocol, name server addressing). */
final class RocketmqInterop implements Interop {

  private static RPCHook hook(Options options) {
    String ak = options.get("access-key", null);
    if (ak == null) return null;
    return new AclClientRPCHook(new SessionCredentials(ak, options.require("secret-key")));
  }

  private static Message toMessage(String topic, OutgoingMessage m, Options options) {
    Message message = new Message(topic, m.value());
    String tag = options.get("tag", null);
    if (tag != null) message.setTags(tag);
    if (m.key() != null) message.setKeys(m.key());
    m.headers().forEach(message::putUserProperty);
    return message;
  }

  private static void printSend(SendResult result) {
    ObjectNode node = JsonOut.object();
    node.put("partition", result.getMessageQueue().getQueueId());
    node.put("offset", result.getQueueOffset());
    node.put("messageId", result.getMsgId());
    node.put("offsetMsgId", result.getOffsetMsgId());
    node.put("status", result.getSendStatus().name());
    JsonOut.print(node);
  }

  @Override
  public int produce(Options options) throws Exception {
    List<OutgoingMessage> messages = OutgoingMessage.load(options);
    String topic = options.require("topic");
    String group = options.get("group", "conduit-interop-" + UUID.randomUUID().toString().substring(0, 8));
    String transactional = options.get("transactional", null);
    DefaultMQProducer producer;
    if (transactional != null) {
      TransactionMQProducer tx = new TransactionMQProducer(group, hook(options));
      LocalTransactionState decision =
          switch (transactional) {
            case "commit" -> LocalTransactionState.COMMIT_MESSAGE;
            case "rollback" -> LocalTransactionState.ROLLBACK_MESSAGE;
            // "check": leave the outcome open so the broker asks back, then commit.
            default -> LocalTransactionState.UNKNOW;
          };
      tx.setTransactionListener(
          new TransactionListener() {
            @Override
            public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
              return decision;
            }

            @Override
            public LocalTransactionState checkLocalTransaction(MessageExt msg) {
              return LocalTransactionState.COMMIT_MESSAGE;
            }
          });
      producer = tx;
    } else {
      producer = new DefaultMQProducer(group, hook(options));
    }
    producer.setNamesrvAddr(options.hostPorts());
    producer.setSendMsgTimeout(15_000);
    // Name server calls time out after 3 s by default; a loaded 2-core test machine needs more.
    producer.setMqClientApiTimeout(15_000);
    producer.setRetryTimesWhenSendFailed(3);
    String compression = options.compression();
    if (compression.equals("none")) {
      producer.setCompressMsgBodyOverHowmuch(Integer.MAX_VALUE);
    } else {
      producer.setCompressType(CompressionType.of(compression.equals("gzip") ? "zlib" : compression));
      producer.setCompressMsgBodyOverHowmuch(0);
    }
    producer.start();
    try {
      if (transactional != null) {
        for (OutgoingMessage m : messages) {
          printSend(((TransactionMQProducer) producer).sendMessageInTransaction(toMessage(topic, m, options), null));
        }
        if (transactional.equals("check")) Thread.sleep(Long.parseLong(options.get("check-wait-ms", "0")));
      } else if (options.has("ordered")) {
        for (OutgoingMessage m : messages) {
          String key = m.key() == null ? "" : m.key();
          printSend(producer.send(toMessage(topic, m, options), (queues, msg, arg) -> queues.get(Math.floorMod(arg.hashCode(), queues.size())), key));
        }
      } else if (options.batching()) {
        for (int from = 0; from < messages.size(); from += 64) {
          List<Message> batch = new ArrayList<>();
          for (OutgoingMessage m : messages.subList(from, Math.min(from + 64, messages.size()))) {
            batch.add(toMessage(topic, m, options));
          }
          SendResult result = producer.send(batch);
          // A batch lands in one queue at consecutive offsets; msgId lists one id per message.
          String[] ids = result.getMsgId().split(",");
          for (int i = 0; i < batch.size(); i++) {
            ObjectNode node = JsonOut.object();
            node.put("partition", result.getMessageQueue().getQueueId());
            node.put("offset", result.getQueueOffset() + i);
            node.put("messageId", i < ids.length ? ids[i] : result.getMsgId());
            node.put("status", result.getSendStatus().name());
            JsonOut.print(node);
          }
        }
      } else {
        for (OutgoingMessage m : messages) printSend(producer.send(toMessage(topic, m, options)));
      }
    } finally {
      producer.shutdown();
    }
    return 0;
  }

  @Override
  public int consume(Options options) throws Exception {
    int count = options.count();
    String topic = options.require("topic");
    DefaultMQPushConsumer consumer =
        new DefaultMQPushConsumer(
            options.get("group", "conduit-interop-" + UUID.randomUUID().toString().substring(0, 8)), hook(options));
    consumer.setNamesrvAddr(options.hostPorts());
    consumer.setMqClientApiTimeout(15_000);
    consumer.subscribe(topic, options.get("tag", "*"));
    consumer.setConsumeFromWhere(
        options.fromEarliest() ? ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET : ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET);
    consumer.setConsumeThreadMin(1);
    consumer.setConsumeThreadMax(1);
    CountDownLatch done = new CountDownLatch(count);
    AtomicInteger seen = new AtomicInteger();
    if (options.has("ordered")) {
      consumer.registerMessageListener(
          (MessageListenerOrderly)
              (msgs, context) -> {
                msgs.forEach(m -> print(m, seen, done, count));
                return ConsumeOrderlyStatus.SUCCESS;
              });
    } else {
      consumer.registerMessageListener(
          (MessageListenerConcurrently)
              (msgs, context) -> {
                msgs.forEach(m -> print(m, seen, done, count));
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
              });
    }
    consumer.start();
    boolean complete = done.await(options.timeoutMs(), TimeUnit.MILLISECONDS);
    consumer.shutdown();
    return complete ? 0 : 2;
  }

  private static void print(MessageExt m, AtomicInteger seen, CountDownLatch done, int count) {
    if (seen.getAndIncrement() >= count) return;
    Map<String, String> headers = new LinkedHashMap<>();
    m.getProperties().forEach((k, v) -> {
      if (!MessageConst.STRING_HASH_SET.contains(k)) headers.put(k, v);
    });
    ObjectNode node =
        JsonOut.message(m.getTopic(), m.getQueueId(), m.getQueueOffset(), m.getKeys(), m.getBody(), headers, m.getBornTimestamp());
    node.put("id", m.getMsgId());
    if (m.getTags() != null) node.put("tag", m.getTags());
    node.put("storeTimestamp", m.getStoreTimestamp());
    node.put("reconsumeTimes", m.getReconsumeTimes());
    JsonOut.print(node);
    done.countDown();
  }
}

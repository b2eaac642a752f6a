package com.dbmetrics.poller.election;

import com.dbmetrics.schemas.config.KafkaClientSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active/standby through Kafka's own group membership: every poller joins one consumer group on the one-partition
 * election topic; the member assigned that partition is active. A member that stops heart-beating (killed, paused,
 * cut off) loses it after the session timeout and another member is assigned it. The cooperative sticky assignor
 * leaves the partition with its owner, unrevoked, when a member (re)joins: a recovered former leader does not take
 * the role back. Nothing is ever consumed: the consumer only keeps its membership alive. Being elected is not enough
 * to write: the Kafka sink also fences the previous leader's transactional producer when it activates.
 */
public final class PollerElection implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PollerElection.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final AtomicBoolean active = new AtomicBoolean();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    public PollerElection(KafkaClientSettings kafka, String topic, String groupId, String memberId,
            Duration sessionTimeout) {
        this.topic = topic;
        Map<String, Object> config = new HashMap<>(kafka.clientProperties());
        config.putAll(Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, groupId,
                ConsumerConfig.CLIENT_ID_CONFIG, "dbmetrics-poller-election-" + memberId,
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) sessionTimeout.toMillis(),
                ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(500, sessionTimeout.toMillis() / 4),
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
        this.consumer = new KafkaConsumer<>(config);
        this.thread = new Thread(this::run, "poller-election");
        this.thread.setDaemon(true);
    }

    public PollerElection start() {
        thread.start();
        return this;
    }

    /** Whether this poller holds the election partition now. */
    public boolean isActive() {
        return active.get();
    }

    private void run() {
        try {
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    if (!partitions.isEmpty() && active.compareAndSet(false, true)) {
                        log.info("Elected active poller (assigned {})", partitions);
                    }
                }

                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    if (!partitions.isEmpty() && active.compareAndSet(true, false)) {
                        log.info("No longer the active poller (revoked {})", partitions);
                    }
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    if (active.compareAndSet(true, false)) {
                        log.warn("Lost the election partition {} (session expired): standing by", partitions);
                    }
                }
            });
            while (running.get()) {
                try {
                    consumer.poll(Duration.ofMillis(500));
                } catch (WakeupException e) {
                    break;
                } catch (RuntimeException e) {
                    active.set(false);
                    log.warn("Election consumer failed ({}); standing by and retrying", e.toString());
                }
            }
        } finally {
            active.set(false);
            consumer.close(Duration.ofSeconds(5));
        }
    }

    @Override
    public void close() {
        running.set(false);
        active.set(false);
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package com.dbmetrics.poller.testing;

import com.dbmetrics.schemas.Topics;
import com.dbmetrics.schemas.testing.TestServices;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A consumer of every partition of {@code dbmetrics.snapshots.v1}, positioned at its end: it sees only what follows.
 * It reads as the operator principal (every dbmetrics topic, no consumer group).
 */
public final class SnapshotTail {

    private SnapshotTail() {}

    /** {@code readCommitted}: skip records of aborted (fenced) transactions, as a well-behaved consumer does. */
    public static KafkaConsumer<String, byte[]> fromEnd(boolean readCommitted) {
        Map<String, Object> config = TestServices.kafkaProperties(TestServices.KAFKA_OPERATOR);
        config.putAll(Map.of(
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
        if (readCommitted) {
            config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        }
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config);
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.SNAPSHOTS).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        return consumer;
    }
}

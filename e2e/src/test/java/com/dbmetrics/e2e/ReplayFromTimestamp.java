package com.dbmetrics.e2e;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * How another service replays {@code dbmetrics.snapshots.v1} from a point in time (docs/operations.md, "Replay
 * history from a time"): a copyable example that needs only kafka-clients. Every partition starts at the first
 * record whose timestamp (the snapshot's event time) is at or after {@code from}, found with {@code offsetsForTimes};
 * a partition with none starts at its end. It reads committed records only, up to the end offsets seen at start, then
 * returns. Records appended later with an older event time (backfills, header {@code dbm-backfill: true}) come too:
 * filter on {@code record.timestamp()} for a strict cut. No consumer group: nothing is committed, every run starts
 * anew. {@code ReplayFromTimestampIT} checks it against the test broker, and that kcat returns the same records.
 */
public final class ReplayFromTimestamp {

    private ReplayFromTimestamp() {}

    /**
     * Hands each record of {@code topic} from {@code from} to the end seen at start to {@code handler}; the count.
     * {@code connection}: {@code bootstrap.servers} and the security settings (e.g. the Java client properties of the
     * principal, as {@code ./dbm status --json} names them for the operator: {@code kafka.client_properties}).
     */
    public static long replay(Map<String, Object> connection, String topic, Instant from,
            Consumer<ConsumerRecord<String, byte[]>> handler) {
        Map<String, Object> config = new HashMap<>(connection); // bootstrap.servers, security.protocol, sasl.*, ssl.*
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"); // never a fenced poller's aborted records
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> query = new HashMap<>();
            partitions.forEach(p -> query.put(p, from.toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(query);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions); // read_committed: last stable offsets
            for (TopicPartition p : partitions) {
                OffsetAndTimestamp start = starts.get(p); // null: no record at or after `from`
                consumer.seek(p, start != null ? start.offset() : ends.get(p));
            }
            long count = 0;
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.offset() < ends.get(new TopicPartition(r.topic(), r.partition()))) {
                        handler.accept(r); // r.value() == null: a tombstone (the database was removed)
                        count++;
                    }
                }
            }
            return count;
        }
    }
}

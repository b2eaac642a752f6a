package com.dbmetrics.poller.publish;

import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces snapshots to {@link Topics#SNAPSHOTS} (key = database id, record timestamp = evaluation time, header
 * {@code dbm-produced-at}) and breaker status to {@link Topics#POLLER_STATUS} (key = breaker name).
 */
public final class KafkaSnapshotSink implements SnapshotSink, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaSnapshotSink.class);

    private final Producer<String, byte[]> producer;
    private final Serializer<MetricsSnapshot> snapshots;
    private final Serializer<PollerStatus> statuses;
    private final Clock clock;
    private final Counter produced;
    private final Counter failed;

    public KafkaSnapshotSink(Producer<String, byte[]> producer, Serializer<MetricsSnapshot> snapshots,
            Serializer<PollerStatus> statuses, Clock clock, MeterRegistry registry) {
        this.producer = producer;
        this.snapshots = snapshots;
        this.statuses = statuses;
        this.clock = clock;
        this.produced = registry.counter("dbm_poller_records_produced_total");
        this.failed = registry.counter("dbm_poller_records_failed_total");
    }

    /** Producer settings: idempotent, acks=all, small linger so one tick's snapshots travel in few batches. */
    public static Producer<String, byte[]> newProducer(String bootstrapServers, String clientId) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        // Broker unavailable: a send blocks at most 5 s for metadata or buffer space, a record is given up
        // after 20 s, and the 32 MiB buffer bounds what waits; failures are counted, the scheduler goes on.
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 32L * 1024 * 1024);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.ByteArraySerializer.class);
        return new KafkaProducer<>(config);
    }

    @Override
    public void publish(MetricsSnapshot snapshot) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.SNAPSHOTS, null,
                snapshot.timestamp().toEpochMilli(), snapshot.databaseId(),
                snapshots.serialize(Topics.SNAPSHOTS, snapshot));
        send(record, "database_id=" + snapshot.databaseId());
    }

    @Override
    public void publish(PollerStatus status) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.POLLER_STATUS, null,
                status.updatedAt().toEpochMilli(), status.breaker(), statuses.serialize(Topics.POLLER_STATUS, status));
        send(record, "breaker=" + status.breaker());
    }

    @Override
    public void publishTombstone(String databaseId, Instant time) {
        send(new ProducerRecord<String, byte[]>(Topics.SNAPSHOTS, null, time.toEpochMilli(), databaseId, (byte[]) null),
                "tombstone database_id=" + databaseId);
    }

    private void send(ProducerRecord<String, byte[]> record, String what) {
        record.headers().add(Topics.HEADER_PRODUCED_AT,
                Long.toString(clock.millis()).getBytes(StandardCharsets.UTF_8));
        try {
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    produced.increment();
                } else {
                    failed.increment();
                    log.error("Failed to produce {} to topic {}: {}", what, record.topic(), error.toString());
                }
            });
        } catch (RuntimeException e) {
            failed.increment();
            log.error("Could not hand {} to the producer for topic {}: {}", what, record.topic(), e.toString());
        }
    }

    /** Waits until everything sent so far is acknowledged (or failed). */
    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close();
    }
}

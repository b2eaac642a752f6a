package com.dbmetrics.poller.publish;

import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
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
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.CLIENT_ID_CONFIG, clientId,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.ByteArraySerializer.class));
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

    private void send(ProducerRecord<String, byte[]> record, String what) {
        record.headers().add(Topics.HEADER_PRODUCED_AT,
                Long.toString(clock.millis()).getBytes(StandardCharsets.UTF_8));
        producer.send(record, (metadata, error) -> {
            if (error == null) {
                produced.increment();
            } else {
                failed.increment();
                log.error("Failed to produce {} to topic {}: {}", what, record.topic(), error.toString());
            }
        });
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

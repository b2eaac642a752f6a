package com.dbmetrics.poller.publish;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The tick's transactions: one per batch (engine), committed as soon as the batch is published. */
class KafkaSnapshotSinkTest {

    private static final Instant T = Instant.parse("2026-12-02T05:00:00Z");

    private final MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(),
            new ByteArraySerializer());
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final KafkaSnapshotSink sink = new KafkaSnapshotSink(() -> producer, true,
            JsonSerde.snapshots(Json.newMapper()), JsonSerde.pollerStatus(Json.newMapper()), Clock.systemUTC(),
            registry);

    private static MetricsSnapshot snapshot(String id) {
        return MetricsSnapshot.of(new DatabaseRef(id, id, "postgresql", "acme", "shop"), T, 5,
                Map.of(Metric.CONNECTIONS, 1d));
    }

    @Test
    void shouldCommitEachBatchAsSoonAsItIsPublished() {
        assertThat(sink.activate()).isTrue();
        assertThat(sink.beginTick()).isTrue();
        sink.publish(snapshot("pg-1"));
        sink.flushBatch();

        assertThat(producer.commitCount()).isEqualTo(1);
        assertThat(producer.history()).hasSize(1); // visible before the tick ends
        sink.publish(snapshot("redis-1"));
        assertThat(sink.endTick()).isTrue();
        assertThat(producer.commitCount()).isEqualTo(2);
        assertThat(producer.history()).extracting(r -> r.key()).containsExactly("pg-1", "redis-1");
    }

    @Test
    void shouldLoseTheRestOfTheTickWhenABatchIsFenced() {
        assertThat(sink.activate()).isTrue();
        assertThat(sink.beginTick()).isTrue();
        sink.publish(snapshot("pg-1"));
        producer.commitTransactionException = new ProducerFencedException("a newer leader");
        sink.flushBatch();
        sink.publish(snapshot("redis-1"));

        assertThat(sink.endTick()).isFalse();
        assertThat(sink.isActive()).isFalse();
        assertThat(producer.commitCount()).isZero();
        assertThat(registry.get("dbm_poller_records_dropped_inactive_total").counter().count()).isEqualTo(1);
        assertThat(registry.get("dbm_poller_producer_fenced_total").counter().count()).isEqualTo(1);
    }
}

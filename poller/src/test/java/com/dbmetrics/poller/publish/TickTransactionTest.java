package com.dbmetrics.poller.publish;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.Topics;
import com.dbmetrics.schemas.time.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The tick's transactions: one per batch (engine), committed as soon as the batch is published, by one owner. */
class TickTransactionTest {

    private static final Instant T = Instant.parse("2026-12-02T05:00:00Z");

    private final MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(),
            new ByteArraySerializer());
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MutableClock clock = new MutableClock(T.plusSeconds(2));
    private final StatusChanges statuses = new StatusChanges();
    private final KafkaPublisher publisher = new KafkaPublisher(() -> producer, true,
            new SnapshotRecords(JsonSerde.snapshots(Json.newMapper()), JsonSerde.pollerStatus(Json.newMapper()),
                    clock));

    @BeforeEach
    void bind() {
        publisher.metrics().bindTo(registry);
    }

    private static MetricsSnapshot snapshot(String id) {
        return MetricsSnapshot.of(new DatabaseRef(id, id, "postgresql", "acme", "shop"), T, 5,
                Map.of(Metric.CONNECTIONS, 1d));
    }

    private static PollerStatus status(PollerStatus.State state, Instant at) {
        return new PollerStatus("prometheus", state, at, null, null, at, "p1");
    }

    @Test
    void shouldCommitEachBatchAsSoonAsItIsPublished() {
        assertThat(publisher.activate()).isTrue();
        Optional<TickTransaction> opened = publisher.beginTick(statuses);
        assertThat(opened).isPresent();
        TickTransaction tick = opened.get();
        tick.publish(snapshot("pg-1"));
        tick.flushBatch();

        assertThat(producer.commitCount()).isEqualTo(1);
        assertThat(producer.history()).hasSize(1); // visible before the tick ends
        tick.publish(snapshot("redis-1"));
        assertThat(tick.commit()).isTrue();
        assertThat(producer.commitCount()).isEqualTo(2);
        assertThat(producer.history()).extracting(r -> r.key()).containsExactly("pg-1", "redis-1");
    }

    @Test
    void shouldLoseTheRestOfTheTickWhenABatchIsFenced() {
        assertThat(publisher.activate()).isTrue();
        TickTransaction tick = publisher.beginTick(statuses).orElseThrow();
        tick.publish(snapshot("pg-1"));
        producer.commitTransactionException = new ProducerFencedException("a newer leader");
        tick.flushBatch();
        tick.publish(snapshot("redis-1"));

        assertThat(tick.commit()).isFalse();
        assertThat(publisher.isActive()).isFalse();
        assertThat(producer.commitCount()).isZero();
        assertThat(registry.get("dbm_poller_records_dropped_inactive_total").counter().count()).isEqualTo(1);
        assertThat(registry.get("dbm_poller_producer_fenced_total").counter().count()).isEqualTo(1);
    }

    /**
     * A commit that times out (a broker paused under the transaction) leaves the producer wanting that commit retried:
     * Kafka refuses abort and begin with IllegalStateException from then on. Found by ./dbm chaos: the poller kept
     * failing every tick for minutes while active. The producer is dropped instead, so the next tick gets a new one.
     */
    @Test
    void shouldDropAProducerWhoseCommitTimedOut() {
        assertThat(publisher.activate()).isTrue();
        TickTransaction tick = publisher.beginTick(statuses).orElseThrow();
        tick.publish(snapshot("pg-1"));
        producer.commitTransactionException = new TimeoutException("Timeout expired while awaiting EndTxn(true)");
        producer.abortTransactionException = new IllegalStateException("the previous call to `commitTransaction`"
                + " timed out and must be retried");

        assertThat(tick.commit()).isFalse();
        assertThat(publisher.isActive()).as("the producer is dropped; the next tick re-activates").isFalse();
        assertThat(producer.closed()).isTrue();
        assertThat(registry.get("dbm_poller_ticks_aborted_total").counter().count()).isEqualTo(1);
    }

    @Test
    void shouldDropAProducerThatCannotBeginATransaction() {
        assertThat(publisher.activate()).isTrue();
        producer.beginTransactionException = new IllegalStateException("the previous call to `commitTransaction`"
                + " timed out and must be retried");

        assertThat(publisher.beginTick(statuses)).isEmpty();
        assertThat(publisher.isActive()).isFalse();
        assertThat(producer.closed()).isTrue();
    }

    @Test
    void shouldWriteBreakerTransitionsFromQueryThreadsInTheTicksTransactionBeforeItsOwnStatus() throws Exception {
        assertThat(publisher.activate()).isTrue();
        TickTransaction tick = publisher.beginTick(statuses).orElseThrow();
        CompletableFuture.runAsync(() -> {
            statuses.accept(status(PollerStatus.State.OPEN, T));
            statuses.accept(status(PollerStatus.State.HALF_OPEN, T.plusSeconds(1)));
        }).get();
        assertThat(producer.history()).as("nothing is sent from the query thread").isEmpty();

        tick.publish(snapshot("pg-1"));
        tick.publish(status(PollerStatus.State.CLOSED, T.plusSeconds(2)));
        assertThat(tick.commit()).isTrue();

        assertThat(producer.commitCount()).isEqualTo(1);
        assertThat(producer.history()).extracting(ProducerRecord::topic).containsExactly(Topics.SNAPSHOTS,
                Topics.POLLER_STATUS, Topics.POLLER_STATUS, Topics.POLLER_STATUS);
        assertThat(producer.history()).filteredOn(r -> r.topic().equals(Topics.POLLER_STATUS))
                .extracting(r -> JsonSerde.pollerStatus(Json.newMapper()).deserialize(r.topic(), r.value()).state())
                .containsExactly(PollerStatus.State.OPEN, PollerStatus.State.HALF_OPEN, PollerStatus.State.CLOSED);
    }

    @Test
    void shouldStampRecordsWithEventTimeAndTheClocksProduceTime() {
        assertThat(publisher.activate()).isTrue();
        TickTransaction tick = publisher.beginTick(statuses).orElseThrow();
        tick.publish(snapshot("pg-1"));
        clock.advance(Duration.ofMillis(250));
        tick.publishTombstone("pg-gone", T);
        assertThat(tick.commit()).isTrue();

        assertThat(producer.history()).extracting(ProducerRecord::timestamp)
                .containsExactly(T.toEpochMilli(), T.toEpochMilli());
        assertThat(producer.history()).extracting(r -> new String(
                r.headers().lastHeader(Topics.HEADER_PRODUCED_AT).value(), StandardCharsets.UTF_8))
                .containsExactly(Long.toString(T.plusSeconds(2).toEpochMilli()),
                        Long.toString(T.plusMillis(2250).toEpochMilli()));
        assertThat(producer.history().get(1).value()).isNull();
    }

    @Test
    void shouldAbortATickThatEndsWithoutCommitting() {
        assertThat(publisher.activate()).isTrue();
        try (TickTransaction tick = publisher.beginTick(statuses).orElseThrow()) {
            tick.publish(snapshot("pg-1"));
        }

        assertThat(producer.transactionAborted()).isTrue();
        assertThat(producer.commitCount()).isZero();
        assertThat(registry.get("dbm_poller_ticks_aborted_total").counter().count()).isEqualTo(1);
        assertThat(publisher.beginTick(statuses)).as("the next tick begins").isPresent();
    }

    @Test
    void shouldOpenNoTickWhileStandingBy() {
        assertThat(publisher.beginTick(statuses)).isEmpty();
        assertThat(registry.get("dbm_poller_active").gauge().value()).isZero();
        assertThat(publisher.activate()).isTrue();
        assertThat(registry.get("dbm_poller_active").gauge().value()).isEqualTo(1);
    }
}

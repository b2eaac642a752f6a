package com.dbmetrics.streams;

import com.dbmetrics.streams.errors.DeadLetterHandler;
import com.dbmetrics.streams.query.IqCounters;
import com.dbmetrics.streams.redis.RedisMirror;
import com.dbmetrics.streams.topology.TopologyCounters;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.streams.KafkaStreams;

/** The streams-app's own metrics, scraped from {@code /metrics} on the interactive-query port. */
final class StreamsMetrics {

    private StreamsMetrics() {}

    static PrometheusMeterRegistry create(KafkaStreams streams, TopologyCounters counters, RedisMirror mirror,
            IqCounters iq, RestoreProgress restore) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        counter(registry, "dbm_streams_snapshots_accepted", counters.accepted);
        counter(registry, "dbm_streams_snapshots_dropped_older", counters.droppedOutOfOrder);
        counter(registry, "dbm_streams_tombstones", counters.tombstones);
        counter(registry, "dbm_streams_poller_status_updates", counters.statusUpdates);
        counter(registry, "dbm_streams_dead_letters", DeadLetterHandler.DEAD_LETTERS);
        counter(registry, "dbm_streams_mirror_written", mirror.written);
        counter(registry, "dbm_streams_mirror_skipped_older", mirror.skippedOlder);
        counter(registry, "dbm_streams_mirror_failed_flushes", mirror.failedFlushes);
        counter(registry, "dbm_streams_mirror_overflowed", mirror.overflowed);
        counter(registry, "dbm_streams_mirror_resyncs", mirror.resyncs);
        Gauge.builder("dbm_streams_mirror_backlog", mirror, RedisMirror::backlog).register(registry);
        Gauge.builder("dbm_streams_mirror_resync_needed", mirror, m -> m.resyncNeeded() ? 1 : 0).register(registry);
        Gauge.builder("dbm_streams_mirror_lag", mirror, RedisMirror::lagSeconds).baseUnit("seconds")
                .description("Age of the oldest update not yet written to Redis (0 when the backlog is empty)")
                .register(registry);
        for (IqCounters.Query query : IqCounters.Query.values()) {
            for (IqCounters.Outcome outcome : IqCounters.Outcome.values()) {
                if (IqCounters.possible(query, outcome)) {
                    FunctionCounter.builder("dbm_streams_iq_requests", iq.counter(query, outcome), LongAdder::sum)
                            .description("Interactive-query requests by how this instance answered them")
                            .tag("query", query.label()).tag("outcome", outcome.label()).register(registry);
                }
            }
        }
        Gauge.builder("dbm_streams_restore_remaining_records", restore, RestoreProgress::remainingRecords)
                .description("Changelog records still to restore before the active stores are current")
                .register(registry);
        Gauge.builder("dbm_streams_restoring_partitions", restore, RestoreProgress::restoringPartitions)
                .description("Changelog partitions being restored").register(registry);
        FunctionCounter.builder("dbm_streams_restored_records", restore, RestoreProgress::restoredRecords)
                .description("Changelog records restored into the active stores").register(registry);
        Gauge.builder("dbm_streams_running", streams, s -> s.state() == KafkaStreams.State.RUNNING ? 1 : 0)
                .register(registry);
        new KafkaStreamsMetrics(streams).bindTo(registry);
        return registry;
    }

    private static void counter(PrometheusMeterRegistry registry, String name, LongAdder adder) {
        FunctionCounter.builder(name, adder, LongAdder::sum).register(registry);
    }
}

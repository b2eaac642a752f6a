package com.dbmetrics.streams;

import com.dbmetrics.streams.errors.DeadLetterHandler;
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

    static PrometheusMeterRegistry create(KafkaStreams streams, TopologyCounters counters, RedisMirror mirror) {
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
        Gauge.builder("dbm_streams_running", streams, s -> s.state() == KafkaStreams.State.RUNNING ? 1 : 0)
                .register(registry);
        new KafkaStreamsMetrics(streams).bindTo(registry);
        return registry;
    }

    private static void counter(PrometheusMeterRegistry registry, String name, LongAdder adder) {
        FunctionCounter.builder(name, adder, LongAdder::sum).register(registry);
    }
}

package com.dbmetrics.streams;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The streams-app's meters, scraped from {@code /metrics} on the management port: those of the classes that count
 * (each a {@link MeterBinder}), {@code dbm_streams_running}, and the Kafka Streams client's own. The client's meters
 * are refreshed by a thread of Micrometer's: {@link #start()} starts it, {@link #close()} stops it.
 */
final class StreamsMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final KafkaStreamsMetrics kafkaStreams;

    StreamsMetrics(KafkaStreams streams, MeterBinder... binders) {
        for (MeterBinder binder : binders) {
            binder.bindTo(registry);
        }
        Gauge.builder("dbm_streams_running", streams, s -> s.state() == KafkaStreams.State.RUNNING ? 1 : 0)
                .register(registry);
        this.kafkaStreams = new KafkaStreamsMetrics(streams);
    }

    /** Binds the Kafka Streams client's meters, which starts their refresh. */
    StreamsMetrics start() {
        kafkaStreams.bindTo(registry);
        return this;
    }

    /** The Prometheus text format of every meter. */
    String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        kafkaStreams.close();
        registry.close();
    }
}

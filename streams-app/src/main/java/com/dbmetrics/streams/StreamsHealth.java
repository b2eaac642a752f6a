package com.dbmetrics.streams;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The probes on the management port, from the Kafka Streams client's state. {@code /healthz} (liveness) fails only
 * when Kafka Streams has stopped or failed: starting, rebalancing and restoring are alive. {@code /readyz} answers 200
 * only while it is {@code RUNNING}: every task of this instance assigned and restored, so it answers its own keys.
 */
final class StreamsHealth {

    private StreamsHealth() {}

    static boolean alive(KafkaStreams.State state) {
        return state == KafkaStreams.State.CREATED || state == KafkaStreams.State.REBALANCING
                || state == KafkaStreams.State.RUNNING;
    }

    static boolean ready(KafkaStreams.State state) {
        return state == KafkaStreams.State.RUNNING;
    }

    /** {@code /healthz} and {@code /readyz} of {@code streams}, for the management server. */
    static Map<String, BooleanSupplier> probes(KafkaStreams streams) {
        Map<String, BooleanSupplier> probes = new LinkedHashMap<>();
        probes.put("/healthz", () -> alive(streams.state()));
        probes.put("/readyz", () -> ready(streams.state()));
        return probes;
    }
}

package com.dbmetrics.poller.backfill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.poller.PollerConfig;
import com.dbmetrics.poller.testing.SnapshotTail;
import com.dbmetrics.poller.catalogue.EngineCatalogue;
import com.dbmetrics.poller.prometheus.PrometheusClient;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.Topics;
import com.dbmetrics.schemas.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The backfill command against the real test stack: range queries over the demo PostgreSQL's last minute produce
 * snapshots with their original, aligned event times and the backfill header, each value what an instant query at
 * that time answers.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class BackfillIT {

    @Test
    void shouldProduceHistoricalSnapshotsWithOriginalEventTimesAndBackfillHeader() throws Exception {
        String pg = require("DBM_IT_PG_DATABASE_ID");
        // the backfill runs with the poller's environment: its Kafka principal, its Prometheus user
        Map<String, String> env = new HashMap<>(TestServices.kafkaEnv(TestServices.KAFKA_POLLER));
        env.putAll(TestServices.prometheusEnv(TestServices.PROMETHEUS_POLLER));
        env.putAll(Map.of("METRICS_POLL_INTERVAL", "5s", "POLLER_INGESTION_DELAY", "1s", "POLLER_ID", "backfill-it"));
        PollerConfig config = PollerConfig.fromEnv(env);
        String connections = EngineCatalogue.builtIn(Json.newMapper()).queries("postgresql").orElseThrow()
                .get(Metric.CONNECTIONS);
        PrometheusClient client = new PrometheusClient(config.prometheusAuth().httpClient().build(),
                config.prometheusUrl(), Json.newMapper(), Duration.ofSeconds(5), PrometheusClient.DEFAULT_MAX_BODY_BYTES,
                config.prometheusAuth().requestHeaders(Clock.systemUTC()));
        // The stack may be younger than the window: wait until Prometheus has three points of it, then expect exactly
        // the aligned times Prometheus has data for.
        Map<Instant, Double> expected = new java.util.TreeMap<>();
        Instant[] window = new Instant[2];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            window[1] = Instant.ofEpochSecond(Instant.now().getEpochSecond() - 5);
            window[0] = window[1].minusSeconds(40);
            expected.clear();
            for (long ms = (window[0].toEpochMilli() + 4999) / 5000 * 5000; ms <= window[1].toEpochMilli();
                    ms += 5000) {
                Instant t = Instant.ofEpochMilli(ms);
                client.query(connections, t).stream().filter(x -> pg.equals(x.label("database_id"))).findFirst()
                        .ifPresent(x -> expected.put(t, x.value()));
            }
            return expected.size() >= 3;
        });
        Instant from = window[0];
        Instant to = window[1];
        try (KafkaConsumer<String, byte[]> consumer = SnapshotTail.fromEnd(false)) {
            int status = BackfillCommand.run(new String[] {"backfill", "--from", from.toString(), "--to",
                    to.toString(), "--database", pg}, config);
            assertThat(status).isZero();

            List<MetricsSnapshot> backfilled = new ArrayList<>();
            JsonSerde<MetricsSnapshot> serde = JsonSerde.snapshots(Json.newMapper());
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    Header header = r.headers().lastHeader(Topics.HEADER_BACKFILL);
                    if (header != null && "true".equals(new String(header.value(), StandardCharsets.UTF_8))) {
                        MetricsSnapshot s = serde.deserialize(r.topic(), r.value());
                        assertThat(r.timestamp()).isEqualTo(s.timestamp().toEpochMilli());
                        backfilled.add(s);
                    }
                }
                return backfilled.stream().map(MetricsSnapshot::timestamp).toList().containsAll(expected.keySet());
            });
            assertThat(backfilled).extracting(MetricsSnapshot::databaseId).containsOnly(pg);
            assertThat(backfilled).extracting(MetricsSnapshot::timestamp).doesNotHaveDuplicates()
                    .allSatisfy(t -> assertThat(t.toEpochMilli() % 5000).isZero())
                    .allSatisfy(t -> assertThat(t).isBetween(from, to));
            assertThat(backfilled).extracting(MetricsSnapshot::timestamp).containsAll(expected.keySet());
            for (MetricsSnapshot s : backfilled) {
                // equal to the instant query at the same time; absent there (the stack's first scrapes) = missing
                assertThat(s.value(Metric.CONNECTIONS)).as("connections at %s", s.timestamp())
                        .isEqualTo(expected.get(s.timestamp()));
            }
        }
    }

    private static String require(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set: run the integration tests through ./dbm test");
        }
        return value;
    }
}

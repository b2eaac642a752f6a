package com.dbmetrics.poller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.poller.testing.FixtureExporter;
import com.dbmetrics.poller.testing.LocalPrometheus;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.Topics;
import com.dbmetrics.schemas.testing.TestServices;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Stops a real Prometheus under a running poller and starts it again: the breaker opens after the threshold, the
 * poller-status record on Kafka says so, and the restart closes it. The Prometheus is this test's own (a separate
 * process on a free port), never the shared one of the test stack.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BreakerOutageIT {

    private final String pollerId = "it-breaker-" + UUID.randomUUID();
    private final List<PollerStatus> statuses = new CopyOnWriteArrayList<>();

    @Test
    void shouldOpenWhenPrometheusStopsSayItOnKafkaAndCloseWhenItIsBack() throws Exception {
        try (FixtureExporter exporter = new FixtureExporter("/fixtures/mongodb_exporter.prom", Map.of());
                LocalPrometheus prometheus = new LocalPrometheus("""
                          - job_name: outage-fixture
                            static_configs:
                              - targets: ['%s']
                                labels: {database_id: outage-db-1, engine: mongodb, domain: it-breaker, project: outage}
                        """.formatted(exporter.target()), Duration.ofSeconds(1));
                KafkaConsumer<String, byte[]> consumer = statusConsumer()) {
            // the poller's own topics, transactional id and group: as the poller principal
            Map<String, String> env = new HashMap<>(TestServices.kafkaEnv(TestServices.KAFKA_POLLER));
            env.putAll(Map.of(
                    "PROMETHEUS_URL", prometheus.url().toString(),
                    "METRICS_POLL_INTERVAL", "2s",
                    "POLLER_INGESTION_DELAY", "500ms",
                    "POLLER_QUERY_TIMEOUT", "1s",
                    "CIRCUIT_BREAKER_THRESHOLD", "3",
                    "CIRCUIT_BREAKER_TIMEOUT", "3s",
                    "POLLER_ID", pollerId));
            try (Poller poller = Poller.start(PollerConfig.fromEnv(env), Clock.systemUTC())) {
                awaitStatus(consumer, PollerStatus.State.CLOSED, true);

                prometheus.stop();
                PollerStatus open = awaitStatus(consumer, PollerStatus.State.OPEN, false);
                assertThat(open.lastError()).isNotBlank();
                assertThat(scrape(poller)).contains("dbm_poller_breaker_state{state=\"OPEN\"} 1");
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                        assertThat(scrape(poller)).containsPattern("outcome=\"breaker_open\"[^\\n]* [1-9]"));

                prometheus.start();
                PollerStatus closed = awaitStatus(consumer, PollerStatus.State.CLOSED, true);
                assertThat(closed.lastSuccess()).isAfter(open.since());
                assertThat(statuses).extracting(PollerStatus::state).contains(PollerStatus.State.HALF_OPEN);
            }
        }
    }

    private PollerStatus awaitStatus(KafkaConsumer<String, byte[]> consumer, PollerStatus.State state,
            boolean withSuccess) {
        JsonSerde<PollerStatus> serde = JsonSerde.pollerStatus(Json.newMapper());
        PollerStatus[] found = new PollerStatus[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                PollerStatus s = serde.deserialize(r.topic(), r.value());
                if (s != null && pollerId.equals(s.pollerId())) {
                    statuses.add(s);
                    if (s.state() == state && (!withSuccess || s.lastSuccess() != null)) {
                        found[0] = s;
                    }
                }
            }
            return found[0] != null;
        });
        return found[0];
    }

    private static KafkaConsumer<String, byte[]> statusConsumer() {
        Map<String, Object> config = TestServices.kafkaProperties(TestServices.KAFKA_OPERATOR);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config);
        TopicPartition partition = new TopicPartition(Topics.POLLER_STATUS, 0);
        consumer.assign(List.of(partition));
        consumer.seekToEnd(List.of(partition));
        consumer.position(partition);
        return consumer;
    }

    private static String scrape(Poller poller) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + poller.managementPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    static String require(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set: run the integration tests through ./dbm test");
        }
        return value;
    }
}

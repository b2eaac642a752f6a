package com.dbmetrics.poller.catalogue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.poller.prometheus.GuardedPrometheus;
import com.dbmetrics.poller.prometheus.PrometheusClient;
import com.dbmetrics.poller.prometheus.Sample;
import com.dbmetrics.poller.publish.SnapshotSink;
import com.dbmetrics.poller.schedule.PollCycle;
import com.dbmetrics.poller.testing.FixtureExporter;
import com.dbmetrics.poller.testing.LocalPrometheus;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * MongoDB has no server package here: a recorded sample of Percona mongodb_exporter output
 * ({@code fixtures/mongodb_exporter.prom}, sources cited in it) is served over HTTP, scraped by a real Prometheus of
 * this test's own with the target labels of a database, and the built-in catalogue's mongodb queries are run through
 * the poll cycle and compared with the same PromQL evaluated directly, and with the sample's values.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class MongoDbFixtureIT {

    private static final String ID = "mongo-fixture-1";
    private static final double OPS_STEP = 10; // per scrape and opcounter
    private static final double CPU_STEP_US = 250_000; // per scrape, user and system each

    @Test
    void shouldAnswerAllFiveMongoDbMetricsFromPerconaExporterSample() throws Exception {
        try (FixtureExporter exporter = new FixtureExporter("/fixtures/mongodb_exporter.prom",
                Map.of("mongodb_ss_opcounters", OPS_STEP, "mongodb_ss_extra_info_user_time_us", CPU_STEP_US,
                        "mongodb_ss_extra_info_system_time_us", CPU_STEP_US));
                LocalPrometheus prometheus = new LocalPrometheus("""
                          - job_name: mongodb-fixture
                            static_configs:
                              - targets: ['%s']
                                labels: {database_id: %s, database_name: catalog-db, engine: mongodb, domain: acme, project: shop}
                        """.formatted(exporter.target(), ID), Duration.ofSeconds(1))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> exporter.scrapes() >= 2);
            PrometheusClient client = new PrometheusClient(HttpClient.newHttpClient(), prometheus.url(),
                    Json.newMapper(), Duration.ofSeconds(5));
            GuardedPrometheus guarded = new GuardedPrometheus(client,
                    GuardedPrometheus.newBreaker(5, Duration.ofSeconds(60), Clock.systemUTC()), Clock.systemUTC(),
                    "it", s -> { });
            List<MetricsSnapshot> published = new ArrayList<>();
            PollCycle cycle = new PollCycle(guarded, EngineCatalogue.builtIn(Json.newMapper()),
                    Duration.ofSeconds(1), Duration.ofMinutes(1), new SimpleMeterRegistry());
            Map<Metric, String> queries = EngineCatalogue.builtIn(Json.newMapper()).queries("mongodb").orElseThrow();
            // A rate needs two samples at or before T: pick the newest T at which Prometheus already has them.
            Instant[] at = new Instant[1];
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
                at[0] = Instant.ofEpochSecond(Instant.now().getEpochSecond() - 1);
                return client.query(queries.get(Metric.OPERATIONS_PER_SEC), at[0]).size() == 1;
            });
            Instant t = at[0];

            cycle.run(t, sink(published));

            assertThat(published).hasSize(1);
            MetricsSnapshot snapshot = published.get(0);
            assertThat(snapshot.databaseId()).isEqualTo(ID);
            assertThat(snapshot.missing()).isEmpty();
            for (Metric metric : Metric.values()) {
                List<Sample> direct = client.query(queries.get(metric), t);
                assertThat(direct).as("direct %s", metric).hasSize(1);
                assertThat(snapshot.value(metric)).as("%s at %s", metric, t).isEqualTo(direct.get(0).value());
            }
            assertThat(snapshot.value(Metric.CONNECTIONS)).isEqualTo(7.0);
            assertThat(snapshot.value(Metric.MEMORY_USAGE)).isEqualTo(97.0 * 1024 * 1024);
            assertThat(snapshot.value(Metric.STORAGE_SIZE)).isEqualTo(1200.0 + 12288.0);
            // rate() over [1m] of a series a few seconds old divides by the whole minute: only "moves" is checked
            // here; exactness is the equality with direct PromQL above.
            assertThat(snapshot.value(Metric.OPERATIONS_PER_SEC)).isPositive();
            assertThat(snapshot.value(Metric.CPU_USAGE)).isPositive();
        }
    }

    static SnapshotSink sink(List<MetricsSnapshot> published) {
        return new SnapshotSink() {
            @Override
            public void publish(MetricsSnapshot snapshot) {
                published.add(snapshot);
            }

            @Override
            public void publishTombstone(String databaseId, Instant time) {}
        };
    }
}

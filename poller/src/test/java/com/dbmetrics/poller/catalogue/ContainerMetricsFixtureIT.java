package com.dbmetrics.poller.catalogue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.poller.prometheus.GuardedPrometheus;
import com.dbmetrics.poller.prometheus.PrometheusClient;
import com.dbmetrics.poller.prometheus.Sample;
import com.dbmetrics.poller.schedule.PollCycle;
import com.dbmetrics.poller.schedule.PollerMetrics;
import com.dbmetrics.poller.testing.FixtureExporter;
import com.dbmetrics.poller.testing.LocalPrometheus;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container-metrics mode ({@code POLLER_RESOURCE_METRICS=container}) against a real Prometheus scraping kubelet
 * cAdvisor lines and kube_pod_labels (sources cited in {@code fixtures/cadvisor_kube.prom}); the databases come from a
 * static inventory file ({@code POLLER_INVENTORY_FILE}), as they would where targets carry no database labels.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ContainerMetricsFixtureIT {

    @TempDir
    Path dir;

    @Test
    void shouldAttributeContainerCpuAndMemoryToTheDatabaseOfEachPod() throws Exception {
        Path inventory = Files.writeString(dir.resolve("inventory.json"), """
                {"databases": [
                  {"database_id": "k8s-pg-1", "engine": "postgresql", "domain": "acme", "project": "k8s"},
                  {"database_id": "k8s-my-1", "engine": "mysql", "domain": "acme", "project": "k8s"}]}""");
        try (FixtureExporter exporter = new FixtureExporter("/fixtures/cadvisor_kube.prom",
                Map.of("container_cpu_usage_seconds_total", 0.5));
                LocalPrometheus prometheus = new LocalPrometheus("""
                          - job_name: kubelet-cadvisor
                            honor_labels: true
                            static_configs:
                              - targets: ['%s']
                        """.formatted(exporter.target()), Duration.ofSeconds(1))) {
            PrometheusClient client = new PrometheusClient(HttpClient.newHttpClient(), prometheus.url(),
                    Json.newMapper(), Duration.ofSeconds(5));
            GuardedPrometheus guarded = new GuardedPrometheus(client,
                    GuardedPrometheus.newBreaker(5, Duration.ofSeconds(60), Clock.systemUTC()), Clock.systemUTC(),
                    "it", s -> { });
            EngineCatalogue catalogue = EngineCatalogue.builtIn(Json.newMapper(), ResourceMode.CONTAINER);
            String cpu = catalogue.queries("postgresql").orElseThrow().get(Metric.CPU_USAGE);
            Instant[] at = new Instant[1];
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
                at[0] = Instant.ofEpochSecond(Instant.now().getEpochSecond() - 1);
                return client.query(cpu, at[0]).size() == 1;
            });
            Instant t = at[0];
            List<MetricsSnapshot> published = new ArrayList<>();
            PollCycle cycle = new PollCycle(guarded, new InventoryFile(Json.newMapper(), inventory,
                    Duration.ofSeconds(1)), catalogue, Duration.ofSeconds(1), Duration.ofMinutes(1), 3, Runnable::run,
                    PollerMetrics.boundTo(new SimpleMeterRegistry()), Clock.systemUTC());

            PollCycle.Outcome outcome = cycle.run(t, MongoDbFixtureIT.sink(published));

            assertThat(outcome.queries()).as("the static inventory costs no query").isEqualTo(2 * 5);
            assertThat(published).extracting(MetricsSnapshot::databaseId).containsExactlyInAnyOrder("k8s-pg-1",
                    "k8s-my-1");
            for (MetricsSnapshot snapshot : published) {
                // The fixture has no database exporter series: only the container metrics are answered.
                assertThat(snapshot.missing()).containsExactly("operations_per_sec", "connections", "storage_size");
                Map<Metric, String> queries = catalogue.queries(snapshot.engine()).orElseThrow();
                for (Metric metric : List.of(Metric.CPU_USAGE, Metric.MEMORY_USAGE)) {
                    List<Sample> direct = client.query(queries.get(metric), t);
                    assertThat(direct).hasSize(1);
                    assertThat(snapshot.value(metric)).as("%s %s", snapshot.databaseId(), metric)
                            .isEqualTo(direct.get(0).value()).isPositive();
                }
            }
            MetricsSnapshot pg = published.stream().filter(s -> s.databaseId().equals("k8s-pg-1")).findFirst()
                    .orElseThrow();
            MetricsSnapshot my = published.stream().filter(s -> s.databaseId().equals("k8s-my-1")).findFirst()
                    .orElseThrow();
            assertThat(pg.value(Metric.MEMORY_USAGE)).as("pod_a: container_a + container_b").isEqualTo(2000.0);
            assertThat(my.value(Metric.MEMORY_USAGE)).as("pod_b: container_a").isEqualTo(1000.0);
            assertThat(pg.value(Metric.CPU_USAGE)).isGreaterThan(my.value(Metric.CPU_USAGE));
        }
    }
}

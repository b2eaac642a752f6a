package com.dbmetrics.poller.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.poller.catalogue.EngineCatalogue;
import com.dbmetrics.poller.prometheus.GuardedPrometheus;
import com.dbmetrics.poller.prometheus.PrometheusClient;
import com.dbmetrics.poller.publish.SnapshotSink;
import com.dbmetrics.poller.testing.LocalPrometheus;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prometheus load does not grow with databases: a real Prometheus scrapes 10, then 1,000 database targets (redis
 * exporter metric names, one target each via file_sd), and the production poll cycle costs the same number of
 * queries per cycle in both, counted by Prometheus itself ({@code prometheus_http_requests_total}) and by the poller.
 * (10,000 databases on the full local stack: BENCHMARKS.md.)
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class QueriesPerCycleIT {

    private static final int CYCLES = 3;
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void shouldQueryPrometheusAsOftenForAThousandDatabasesAsForTen() throws Exception {
        Path targets = dir.resolve("targets.json");
        HttpServer exporters = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        exporters.setExecutor(Executors.newFixedThreadPool(4));
        long started = System.currentTimeMillis();
        exporters.createContext("/db/", exchange -> {
            double s = (System.currentTimeMillis() - started) / 1000.0;
            byte[] body = ("redis_commands_processed_total " + 100 * s + "\nredis_connected_clients 3\n"
                    + "redis_cpu_user_seconds_total " + 0.1 * s + "\nredis_cpu_sys_seconds_total " + 0.05 * s
                    + "\nredis_memory_used_bytes 1048576\nredis_memory_used_dataset_bytes 524288\n")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        exporters.start();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (LocalPrometheus prometheus = new LocalPrometheus("""
                  - job_name: fleet
                    file_sd_configs:
                      - files: ['%s']
                        refresh_interval: 1s
                """.formatted(targets), Duration.ofSeconds(2))) {
            String hostPort = "127.0.0.1:" + exporters.getAddress().getPort();
            double ten = queriesPerCycle(prometheus, targets, hostPort, 10, pool);
            double thousand = queriesPerCycle(prometheus, targets, hostPort, 1000, pool);

            assertThat(ten).as("1 discovery + 1 engine × 5 metrics").isEqualTo(6.0);
            assertThat(thousand).isEqualTo(ten);
        } finally {
            pool.shutdownNow();
            exporters.stop(0);
        }
    }

    /** Runs CYCLES production poll cycles over N databases; returns queries per cycle as Prometheus counted them. */
    private double queriesPerCycle(LocalPrometheus prometheus, Path targets, String hostPort, int n,
            ExecutorService pool) throws Exception {
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            json.append(i == 0 ? "" : ",").append("{\"targets\":[\"").append(hostPort).append("\"],\"labels\":{")
                    .append("\"__metrics_path__\":\"/db/db-").append(i).append("/metrics\",\"database_id\":\"db-")
                    .append(i).append("\",\"engine\":\"redis\",\"domain\":\"fleet\",\"project\":\"qpc\"}}");
        }
        Files.writeString(targets, json.append("]").toString());
        PrometheusClient client = new PrometheusClient(http, prometheus.url(), Json.newMapper(), Duration.ofSeconds(10));
        // The first evaluation time at which every target has been scraped twice (so rates exist).
        Instant[] first = new Instant[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            first[0] = Instant.ofEpochSecond(Instant.now().getEpochSecond() - CYCLES);
            return client.query("count(count_over_time(up{database_id!=\"\"}[1m]) >= 2)", first[0]).stream()
                    .anyMatch(s -> s.value() >= n);
        });
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        GuardedPrometheus guarded = new GuardedPrometheus(client,
                GuardedPrometheus.newBreaker(5, Duration.ofSeconds(60), Clock.systemUTC()), Clock.systemUTC(), "qpc",
                s -> { });
        AtomicInteger snapshots = new AtomicInteger();
        PollCycle cycle = new PollCycle(guarded, new com.dbmetrics.poller.catalogue.Discovery(guarded,
                Duration.ofSeconds(1)), EngineCatalogue.builtIn(Json.newMapper()), Duration.ofSeconds(1),
                Duration.ofMillis(1), 3, pool, PollerMetrics.boundTo(registry), Clock.systemUTC());
        double before = prometheusQueries(prometheus);
        Instant t = first[0];
        for (int i = 0; i < CYCLES; i++) {
            cycle.run(t.plusSeconds(i), counting(snapshots));
        }
        double counted = prometheusQueries(prometheus) - before;
        double byPoller = registry.find("dbm_poller_queries").counters().stream().mapToDouble(Counter::count).sum();
        assertThat(byPoller).as("the poller's own count, %d databases", n).isEqualTo(counted);
        assertThat(snapshots.get()).as("one snapshot per database and cycle").isEqualTo(n * CYCLES);
        return counted / CYCLES;
    }

    private double prometheusQueries(LocalPrometheus prometheus) throws Exception {
        String body = http.send(HttpRequest.newBuilder(URI.create(prometheus.url() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        for (String line : body.split("\n")) {
            if (line.startsWith("prometheus_http_requests_total{") && line.contains("handler=\"/api/v1/query\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static SnapshotSink counting(AtomicInteger snapshots) {
        return new SnapshotSink() {
            @Override
            public void publish(MetricsSnapshot snapshot) {
                snapshots.incrementAndGet();
            }

            @Override
            public void publishTombstone(String databaseId, Instant time) {}
        };
    }
}

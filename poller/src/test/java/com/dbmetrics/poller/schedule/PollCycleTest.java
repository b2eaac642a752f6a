package com.dbmetrics.poller.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.poller.catalogue.Discovery;
import com.dbmetrics.poller.catalogue.EngineCatalogue;
import com.dbmetrics.poller.prometheus.PrometheusException;
import com.dbmetrics.poller.prometheus.Querier;
import com.dbmetrics.poller.prometheus.Sample;
import com.dbmetrics.poller.publish.SnapshotSink;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class PollCycleTest {

    private static final Instant T = Instant.parse("2026-11-25T10:30:00Z");

    private final EngineCatalogue catalogue = EngineCatalogue.builtIn(Json.newMapper());
    private final List<MetricsSnapshot> published = new ArrayList<>();
    private final List<String> tombstones = new ArrayList<>();
    private final List<String> queries = new ArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private final SnapshotSink sink = new SnapshotSink() {
        @Override
        public void publish(MetricsSnapshot snapshot) {
            published.add(snapshot);
        }

        @Override
        public void publishTombstone(String databaseId, Instant time) {
            tombstones.add(databaseId + "@" + time);
        }
    };

    private static Sample target(String id, String engine) {
        return new Sample(Map.of("database_id", id, "database_name", id + "-db", "engine", engine, "domain", "acme",
                "project", "shop"), 1);
    }

    private static Sample value(String id, double v) {
        return new Sample(Map.of("database_id", id), v);
    }

    private PollCycle cycle(Function<String, List<Sample>> answers) {
        Querier querier = (promql, time) -> {
            assertThat(time).isEqualTo(T);
            queries.add(promql);
            List<Sample> answer = answers.apply(promql);
            if (answer == null) {
                throw new PrometheusException(PrometheusException.Kind.UNREACHABLE, "down", null);
            }
            return answer;
        };
        return new PollCycle(querier, catalogue, Duration.ofSeconds(5), Duration.ofSeconds(30), registry);
    }

    @Test
    void shouldIssueOneQueryPerEngineAndMetricWhateverTheNumberOfDatabases() {
        List<Sample> targets = new ArrayList<>();
        List<Sample> values = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            targets.add(target("pg-" + i, "postgresql"));
            targets.add(target("rd-" + i, "redis"));
            values.add(value("pg-" + i, i));
            values.add(value("rd-" + i, i));
        }
        PollCycle cycle = cycle(q -> q.equals(Discovery.QUERY) ? targets : values);

        PollCycle.Outcome outcome = cycle.run(T, sink);

        assertThat(outcome.queries()).isEqualTo(1 + 2 * Metric.values().length);
        assertThat(queries).hasSize(1 + 2 * Metric.values().length);
        assertThat(published).hasSize(1000);
        assertThat(published).allSatisfy(s -> assertThat(s.timestamp()).isEqualTo(T));
    }

    @Test
    void shouldReportAbsentAndUnanswerableMetricsAsMissingNeverZero() {
        Map<String, List<Sample>> answers = new HashMap<>();
        answers.put(Discovery.QUERY, List.of(target("pg-1", "postgresql")));
        PollCycle cycle = cycle(q -> {
            if (answers.containsKey(q)) {
                return answers.get(q);
            }
            if (q.contains("numbackends")) {
                return List.of(value("pg-1", 7));
            }
            if (q.contains("pg_database_size_bytes")) {
                return null; // this query failed
            }
            if (q.contains("xact_commit")) {
                return List.of(value("pg-1", Double.NaN));
            }
            return List.of(); // no series for this database
        });

        cycle.run(T, sink);

        MetricsSnapshot s = published.get(0);
        assertThat(s.value(Metric.CONNECTIONS)).isEqualTo(7.0);
        assertThat(s.missing()).containsExactly("cpu_usage", "memory_usage", "operations_per_sec", "storage_size");
    }

    @Test
    void shouldPublishNothingWhenPrometheusAnswersNoQuery() {
        boolean[] down = {false};
        PollCycle cycle = cycle(q -> {
            if (down[0]) {
                return null;
            }
            return q.equals(Discovery.QUERY) ? List.of(target("pg-1", "postgresql")) : List.of(value("pg-1", 1));
        });
        cycle.run(T, sink);
        published.clear();
        down[0] = true;

        PollCycle.Outcome outcome = cycle.run(T, sink);

        assertThat(published).isEmpty();
        assertThat(outcome.failedQueries()).isEqualTo(Metric.values().length);
        assertThat(cycle.inventory().databases()).hasSize(1);
    }

    @Test
    void shouldKeepInventoryWhenDiscoveryComesBackEmpty() {
        List<List<Sample>> discoveries = new ArrayList<>(List.of(List.of(target("pg-1", "postgresql")), List.of()));
        PollCycle cycle = new PollCycle((q, t) -> q.equals(Discovery.QUERY) ? discoveries.remove(0) : List.of(),
                catalogue, Duration.ofSeconds(5), Duration.ofSeconds(5), registry);

        cycle.run(T, sink);
        cycle.run(T.plusSeconds(5), sink);

        assertThat(cycle.inventory().databases()).extracting(d -> d.databaseId()).containsExactly("pg-1");
    }

    @Test
    void shouldRefuseTargetsWithInvalidLabels() {
        PollCycle cycle = cycle(q -> q.equals(Discovery.QUERY)
                ? List.of(target("pg-1", "postgresql"), target(".hidden", "postgresql"), target("x/y", "redis"))
                : List.of());

        cycle.run(T, sink);

        assertThat(cycle.inventory().databases()).hasSize(1);
        assertThat(registry.counter("dbm_poller_discovery_rejected").count()).isEqualTo(2);
    }

    private static Sample target(String id, String engine, String interval) {
        Map<String, String> labels = new HashMap<>(target(id, engine).labels());
        labels.put("dbmetrics_interval", interval);
        return new Sample(labels, 1);
    }

    @Test
    void shouldTombstoneDatabaseOnlyAfterThreeConsecutiveNonEmptyDiscoveriesWithoutIt() {
        List<List<Sample>> discoveries = new ArrayList<>(List.of(
                List.of(target("pg-1", "postgresql"), target("pg-2", "postgresql")),
                List.of(target("pg-1", "postgresql")),
                List.of(), // empty (e.g. Prometheus just restarted): removes nothing, counts nothing
                List.of(target("pg-1", "postgresql")),
                List.of(target("pg-1", "postgresql"))));
        PollCycle cycle = new PollCycle((q, t) -> {
            if (q.equals(Discovery.QUERY)) {
                if (discoveries.isEmpty()) {
                    throw new PrometheusException(PrometheusException.Kind.UNREACHABLE, "down", null);
                }
                return discoveries.remove(0);
            }
            return List.of(value("pg-1", 1), value("pg-2", 2));
        }, catalogue, Duration.ofSeconds(5), Duration.ofSeconds(5), registry);

        for (int i = 0; i < 4; i++) {
            cycle.run(T.plusSeconds(5L * i), sink);
        }
        assertThat(tombstones).isEmpty();
        assertThat(cycle.inventory().databases()).extracting(d -> d.databaseId()).containsExactly("pg-1", "pg-2");

        cycle.run(T.plusSeconds(20), sink);
        assertThat(tombstones).containsExactly("pg-2@" + T.plusSeconds(20));
        assertThat(cycle.inventory().databases()).extracting(d -> d.databaseId()).containsExactly("pg-1");

        cycle.run(T.plusSeconds(25), sink); // discovery fails: nothing changes
        assertThat(tombstones).hasSize(1);
        assertThat(registry.counter("dbm_poller_tombstones").count()).isEqualTo(1);
    }

    @Test
    void shouldPollEachDatabaseOncePerItsOwnIntervalWithTheSameNumberOfQueries() {
        Instant aligned = Instant.parse("2026-11-25T10:30:00Z"); // a multiple of 10 s
        PollCycle cycle = new PollCycle((q, t) -> q.equals(Discovery.QUERY)
                ? List.of(target("slow", "postgresql", "10s"), target("fast", "postgresql"))
                : List.of(value("slow", 1), value("fast", 2)),
                catalogue, Duration.ofSeconds(5), Duration.ofMinutes(5), registry);

        PollCycle.Outcome first = cycle.run(aligned, sink);
        PollCycle.Outcome second = cycle.run(aligned.plusSeconds(5), sink);
        PollCycle.Outcome third = cycle.run(aligned.plusSeconds(10), sink);

        assertThat(published).filteredOn(s -> s.databaseId().equals("slow"))
                .extracting(MetricsSnapshot::timestamp).containsExactly(aligned, aligned.plusSeconds(10));
        assertThat(published).filteredOn(s -> s.databaseId().equals("slow"))
                .allSatisfy(s -> assertThat(s.intervalSeconds()).isEqualTo(10));
        assertThat(published).filteredOn(s -> s.databaseId().equals("fast")).hasSize(3);
        int perTick = Metric.values().length;
        assertThat(first.queries()).isEqualTo(1 + perTick);
        assertThat(second.queries()).isEqualTo(perTick);
        assertThat(third.queries()).isEqualTo(perTick);
    }

    @Test
    void shouldRefuseIntervalThatIsNotAMultipleOfTheTickAndPollAtTheBaseInterval() {
        PollCycle cycle = cycle(q -> q.equals(Discovery.QUERY)
                ? List.of(target("odd", "redis", "7s"), target("bad", "redis", "soon"))
                : List.of(value("odd", 1), value("bad", 1)));

        cycle.run(T, sink);

        assertThat(registry.counter("dbm_poller_interval_refused").count()).isEqualTo(2);
        assertThat(published).extracting(MetricsSnapshot::intervalSeconds).containsOnly(5);
        assertThat(published).hasSize(2);
    }

    @Test
    void shouldNotPublishSnapshotForDatabaseWithoutAnySeries() {
        PollCycle cycle = cycle(q -> q.equals(Discovery.QUERY)
                ? List.of(target("pg-1", "postgresql"), target("pg-gone", "postgresql"))
                : List.of(value("pg-1", 1)));

        cycle.run(T, sink);

        assertThat(published).extracting(MetricsSnapshot::databaseId).containsExactly("pg-1");
        assertThat(registry.counter("dbm_poller_no_data", "engine", "postgresql").count()).isEqualTo(1);
    }

    @Test
    void shouldRefuseTwoSeriesForOneDatabaseAndCountBadValuesByKind() {
        PollCycle cycle = cycle(q -> {
            if (q.equals(Discovery.QUERY)) {
                return List.of(target("pg-1", "postgresql"));
            }
            if (q.contains("numbackends")) {
                return List.of(value("pg-1", 3), value("pg-1", 4));
            }
            if (q.contains("pg_database_size_bytes")) {
                return List.of(value("pg-1", Double.POSITIVE_INFINITY));
            }
            return List.of(value("pg-1", 1));
        });

        cycle.run(T, sink);

        MetricsSnapshot s = published.get(0);
        assertThat(s.missing()).containsExactly("connections", "storage_size");
        assertThat(registry.counter("dbm_poller_bad_values", "kind", "duplicate_series", "engine", "postgresql",
                "metric", "connections").count()).isEqualTo(1);
        assertThat(registry.counter("dbm_poller_bad_values", "kind", "inf", "engine", "postgresql",
                "metric", "storage_size").count()).isEqualTo(1);
    }

    @Test
    void shouldEndTheTickAtItsDeadlineAndPublishTheEnginesThatAnswered() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch never = new CountDownLatch(1);
        Querier querier = (promql, time) -> {
            if (promql.equals(Discovery.QUERY)) {
                return List.of(target("pg-1", "postgresql"), target("rd-1", "redis"));
            }
            if (promql.contains("redis_")) {
                try {
                    never.await(); // a Prometheus that never finishes these answers
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new PrometheusException(PrometheusException.Kind.UNREACHABLE, "interrupted", null);
            }
            return List.of(value("pg-1", 3));
        };
        Duration interval = Duration.ofSeconds(1);
        PollCycle cycle = new PollCycle(querier, new Discovery(querier, interval), catalogue, interval,
                Duration.ofSeconds(30), 3, pool, PollerMetrics.boundTo(registry), java.time.Clock.systemUTC());
        long start = System.nanoTime();
        try {
            PollCycle.Outcome outcome = cycle.run(T, sink);

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
            assertThat(published).extracting(MetricsSnapshot::databaseId).containsExactly("pg-1");
            assertThat(outcome.failedQueries()).isPositive();
            assertThat(registry.counter("dbm_poller_tick_deadline_exceeded").count()).isEqualTo(1.0);
            assertThat(registry.counter("dbm_poller_engines_left_out").count()).isEqualTo(1.0);
        } finally {
            pool.shutdownNow();
        }
    }
}

package com.dbmetrics.poller.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.poller.catalogue.Discovery;
import com.dbmetrics.poller.catalogue.EngineCatalogue;
import com.dbmetrics.poller.prometheus.PrometheusException;
import com.dbmetrics.poller.prometheus.Sample;
import com.dbmetrics.poller.publish.SnapshotSink;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class PollCycleTest {

    private static final Instant T = Instant.parse("2026-11-25T10:30:00Z");

    private final EngineCatalogue catalogue = EngineCatalogue.builtIn(Json.newMapper());
    private final List<MetricsSnapshot> published = new ArrayList<>();
    private final List<String> queries = new ArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private final SnapshotSink sink = new SnapshotSink() {
        @Override
        public void publish(MetricsSnapshot snapshot) {
            published.add(snapshot);
        }

        @Override
        public void publish(PollerStatus status) {}
    };

    private static Sample target(String id, String engine) {
        return new Sample(Map.of("database_id", id, "database_name", id + "-db", "engine", engine, "domain", "acme",
                "project", "shop"), 1);
    }

    private static Sample value(String id, double v) {
        return new Sample(Map.of("database_id", id), v);
    }

    private PollCycle cycle(Function<String, List<Sample>> answers) {
        Discovery.Querier querier = (promql, time) -> {
            assertThat(time).isEqualTo(T);
            queries.add(promql);
            List<Sample> answer = answers.apply(promql);
            if (answer == null) {
                throw new PrometheusException(PrometheusException.Kind.UNREACHABLE, "down", null);
            }
            return answer;
        };
        return new PollCycle(querier, catalogue, sink, Duration.ofSeconds(5), Duration.ofSeconds(30), registry);
    }

    @Test
    void shouldIssueOneQueryPerEngineAndMetricWhateverTheNumberOfDatabases() {
        List<Sample> targets = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            targets.add(target("pg-" + i, "postgresql"));
            targets.add(target("rd-" + i, "redis"));
        }
        PollCycle cycle = cycle(q -> q.equals(Discovery.QUERY) ? targets : List.of(value("pg-1", 3), value("rd-2", 4)));

        PollCycle.Outcome outcome = cycle.run(T);

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

        cycle.run(T);

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
        cycle.run(T);
        published.clear();
        down[0] = true;

        PollCycle.Outcome outcome = cycle.run(T);

        assertThat(published).isEmpty();
        assertThat(outcome.failedQueries()).isEqualTo(Metric.values().length);
        assertThat(cycle.inventory().databases()).hasSize(1);
    }

    @Test
    void shouldKeepInventoryWhenDiscoveryComesBackEmpty() {
        List<List<Sample>> discoveries = new ArrayList<>(List.of(List.of(target("pg-1", "postgresql")), List.of()));
        PollCycle cycle = new PollCycle((q, t) -> q.equals(Discovery.QUERY) ? discoveries.remove(0) : List.of(),
                catalogue, sink, Duration.ofSeconds(5), Duration.ofSeconds(5), registry);

        cycle.run(T);
        cycle.run(T.plusSeconds(5));

        assertThat(cycle.inventory().databases()).extracting(d -> d.databaseId()).containsExactly("pg-1");
    }

    @Test
    void shouldRefuseTargetsWithInvalidLabels() {
        PollCycle cycle = cycle(q -> q.equals(Discovery.QUERY)
                ? List.of(target("pg-1", "postgresql"), target(".hidden", "postgresql"), target("x/y", "redis"))
                : List.of());

        cycle.run(T);

        assertThat(cycle.inventory().databases()).hasSize(1);
        assertThat(registry.counter("dbm_poller_discovery_rejected_total").count()).isEqualTo(2);
    }
}

package com.dbmetrics.api.prom;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PromEvalTest {

    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");

    private static MetricsSnapshot snapshot(String id, String project, String engine, Instant t, Double connections,
            Double cpu) {
        Map<Metric, Double> values = new HashMap<>();
        values.put(Metric.CONNECTIONS, connections);
        values.put(Metric.CPU_USAGE, cpu);
        return MetricsSnapshot.of(new DatabaseRef(id, "name " + id, engine, "acme", project), t, 5, values);
    }

    private static final List<MetricsSnapshot> NOW = List.of(
            snapshot("db-1", "shop", "postgresql", T0, 10.0, 0.5),
            snapshot("db-2", "shop", "mysql", T0, 4.0, null),
            snapshot("db-3", "blog", "postgresql", T0, 7.0, 1.25));

    @Test
    void shouldSelectOneSeriesPerDatabaseAndMetricLeavingMissingOnesOut() {
        List<PromEval.Sample> cpu = Eval.select((PromQl.Selector) PromQl.parse("dbmetrics_cpu_usage"), NOW);
        assertThat(cpu).extracting(s -> s.labels().get("database_id")).containsExactly("db-1", "db-3");
        assertThat(cpu.get(0).labels()).containsExactlyEntriesOf(new java.util.TreeMap<>(Map.of(
                "__name__", "dbmetrics_cpu_usage", "database_id", "db-1", "database_name", "name db-1",
                "domain", "acme", "engine", "postgresql", "project", "shop")));
        assertThat(cpu.get(1).value()).isEqualTo(1.25);
        List<PromEval.Sample> all = Eval.select((PromQl.Selector) PromQl.parse("{project=\"shop\"}"), NOW);
        assertThat(all).hasSize(3); // db-1 connections + cpu, db-2 connections (its cpu is missing: no sample, no 0)
        List<PromEval.Sample> notPg = Eval.select(
                (PromQl.Selector) PromQl.parse("dbmetrics_connections{engine!=\"postgresql\"}"), NOW);
        assertThat(notPg).extracting(PromEval.Sample::value).containsExactly(4.0);
    }

    @Test
    void shouldAggregateByAndWithout() {
        PromEval.Vector byProject = (PromEval.Vector) Eval.eval(
                PromQl.parse("sum by (project) (dbmetrics_connections)"), NOW);
        assertThat(byProject.samples()).extracting(s -> s.labels().get("project"), PromEval.Sample::value)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("blog", 7.0),
                        org.assertj.core.groups.Tuple.tuple("shop", 14.0));
        PromEval.Vector maxAll = (PromEval.Vector) Eval.eval(PromQl.parse("max(dbmetrics_connections)"), NOW);
        assertThat(maxAll.samples()).singleElement().satisfies(s -> {
            assertThat(s.labels()).isEmpty();
            assertThat(s.value()).isEqualTo(10.0);
        });
        PromEval.Vector count = (PromEval.Vector) Eval.eval(
                PromQl.parse("count without (database_id, database_name, engine) (dbmetrics_connections)"), NOW);
        assertThat(count.samples()).extracting(s -> s.labels().get("project"), PromEval.Sample::value)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("blog", 1.0),
                        org.assertj.core.groups.Tuple.tuple("shop", 2.0));
        assertThat(count.samples().get(0).labels()).doesNotContainKey("__name__");
        PromEval.Vector avg = (PromEval.Vector) Eval.eval(PromQl.parse("avg(dbmetrics_connections)"), NOW);
        assertThat(avg.samples().get(0).value()).isEqualTo(7.0);
        PromEval.Vector min = (PromEval.Vector) Eval.eval(PromQl.parse("min(dbmetrics_connections)"), NOW);
        assertThat(min.samples().get(0).value()).isEqualTo(4.0);
    }

    @Test
    void shouldTakeTheNewestPointAtOrBeforeTheInstantWithinItsStalenessBound() {
        List<MetricsSnapshot> points = List.of(snapshot("db-1", "shop", "pg", T0, 1.0, null),
                snapshot("db-1", "shop", "pg", T0.plusSeconds(5), 2.0, null),
                snapshot("db-1", "shop", "pg", T0.plusSeconds(10), 3.0, null));
        long bound = 12_000;
        assertThat(Eval.inEffect(points, T0.minusMillis(1).toEpochMilli(), s -> bound)).isNull();
        assertThat(Eval.inEffect(points, T0.toEpochMilli(), s -> bound).value(Metric.CONNECTIONS)).isEqualTo(1.0);
        assertThat(Eval.inEffect(points, T0.plusMillis(9_999).toEpochMilli(), s -> bound)
                .value(Metric.CONNECTIONS)).isEqualTo(2.0);
        assertThat(Eval.inEffect(points, T0.plusSeconds(22).toEpochMilli(), s -> bound)
                .value(Metric.CONNECTIONS)).isEqualTo(3.0);
        assertThat(Eval.inEffect(points, T0.plusSeconds(22).plusMillis(1).toEpochMilli(), s -> bound))
                .as("older than its bound: left out, as Prometheus does after its lookback").isNull();
    }

    @Test
    void shouldEvaluateARangeAtEveryStep() {
        List<MetricsSnapshot> db1 = List.of(snapshot("db-1", "shop", "pg", T0, 1.0, null),
                snapshot("db-1", "shop", "pg", T0.plusSeconds(5), 2.0, null));
        List<MetricsSnapshot> db2 = List.of(snapshot("db-2", "shop", "pg", T0.plusSeconds(5), 5.0, null));
        List<PromEval.RangeSeries> series = PromEval.range(PromQl.parse("dbmetrics_connections"), List.of(db2, db1),
                T0.minusSeconds(5).toEpochMilli(), T0.plusSeconds(30).toEpochMilli(), 5_000, s -> 12_000);
        assertThat(series).extracting(s -> s.labels().get("database_id")).containsExactly("db-1", "db-2");
        assertThat(series.get(0).points()).extracting(PromEval.Point::value)
                .containsExactly(1.0, 2.0, 2.0, 2.0); // T0, +5, +10, +15 (+20 is past 5 s + 12 s)
        assertThat(series.get(0).points().get(0).millis()).isEqualTo(T0.toEpochMilli());
        List<PromEval.RangeSeries> sum = PromEval.range(PromQl.parse("sum(dbmetrics_connections)"),
                List.of(db1, db2), T0.toEpochMilli(), T0.plusSeconds(5).toEpochMilli(), 5_000, s -> 12_000);
        assertThat(sum).singleElement().satisfies(s -> assertThat(s.points()).extracting(PromEval.Point::value)
                .containsExactly(1.0, 7.0));
        List<PromEval.RangeSeries> scalar = PromEval.range(PromQl.parse("1+1"), List.of(), T0.toEpochMilli(),
                T0.plusSeconds(10).toEpochMilli(), 5_000, s -> 0);
        assertThat(scalar).singleElement().satisfies(s -> assertThat(s.points()).hasSize(3));
    }

    @Test
    void shouldRefuseAnAnswerOfTooManySamples() {
        List<List<MetricsSnapshot>> many = new java.util.ArrayList<>();
        for (int i = 0; i < 60; i++) {
            many.add(List.of(snapshot("db-" + i, "shop", "pg", T0, 1.0, 1.0)));
        }
        long end = T0.plusSeconds(10_999).toEpochMilli(); // 11,000 steps of 1 s, 120 series: 1.3 million samples
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PromEval.range(PromQl.parse("{domain=\"acme\"}"),
                many, T0.toEpochMilli(), end, 1_000, s -> Long.MAX_VALUE)).isInstanceOf(PromError.Execution.class)
                .hasMessageContaining("too many samples");
        assertThat(PromEval.range(PromQl.parse("sum({domain=\"acme\"})"), many, T0.toEpochMilli(), end, 1_000,
                s -> Long.MAX_VALUE)).singleElement().satisfies(s -> assertThat(s.points()).hasSize(11_000));
    }

    @Test
    void shouldFormatValuesAsPrometheusDoes() {
        assertThat(PromJson.value(2)).isEqualTo("2");
        assertThat(PromJson.value(0.25)).isEqualTo("0.25");
        assertThat(PromJson.value(1.5e10)).isEqualTo("15000000000");
        assertThat(PromJson.value(1e21)).isEqualTo("1000000000000000000000");
        assertThat(PromJson.value(1e-7)).isEqualTo("0.0000001");
        assertThat(PromJson.value(Double.NaN)).isEqualTo("NaN");
        assertThat(PromJson.value(Double.NEGATIVE_INFINITY)).isEqualTo("-Inf");
        assertThat(PromJson.seconds(1_700_000_000_000L)).isEqualTo("1700000000");
        assertThat(PromJson.seconds(1_700_000_000_500L)).isEqualTo("1700000000.5");
        assertThat(PromJson.seconds(1_700_000_000_050L)).isEqualTo("1700000000.05");
        assertThat(PromJson.seconds(1_700_000_000_007L)).isEqualTo("1700000000.007");
        assertThat(PromJson.seconds(1_700_000_000_120L)).isEqualTo("1700000000.12");
        assertThat(PromJson.seconds(-1_500L)).isEqualTo("-1.5");
    }

    @Test
    void shouldReadOnlyTheProjectsTheSelectorsCanMatch() {
        List<PromQl.Selector> shop = List.of(PromQl.parseSelector("dbmetrics_connections{project=\"shop\"}"));
        assertThat(PromApi.projectsToRead(shop, "acme", "shop")).containsExactly("shop");
        assertThat(PromApi.projectsToRead(shop, "acme", "blog")).isEmpty();
        assertThat(PromApi.projectsToRead(shop, "acme", "*")).containsExactly("shop");
        assertThat(PromApi.projectsToRead(List.of(PromQl.parseSelector("{domain=\"other\"}")), "acme", "*")).isEmpty();
        assertThat(PromApi.projectsToRead(List.of(PromQl.parseSelector("dbmetrics_connections")), "acme", "*"))
                .containsExactly("*");
        assertThat(PromApi.projectsToRead(List.of(), "acme", "shop")).containsExactly("shop");
    }

    @Test
    void shouldParseStepsAsSecondsOrDurations() {
        assertThat(PromApi.duration("15", "step")).isEqualTo(15_000);
        assertThat(PromApi.duration("0.5", "step")).isEqualTo(500);
        assertThat(PromApi.duration("1m30s", "step")).isEqualTo(90_000);
        assertThat(PromApi.duration("250ms", "step")).isEqualTo(250);
        for (String bad : List.of("0", "-5", "5x", "m", "", "1e400")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> PromApi.duration(bad, "step")).as(bad)
                    .isInstanceOf(PromError.BadData.class);
        }
    }
}

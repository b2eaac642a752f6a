package com.dbmetrics.poller.backfill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.poller.catalogue.Discovery;
import com.dbmetrics.poller.catalogue.EngineCatalogue;
import com.dbmetrics.poller.catalogue.Inventory;
import com.dbmetrics.poller.catalogue.InventorySource;
import com.dbmetrics.poller.prometheus.PrometheusClient.Point;
import com.dbmetrics.poller.prometheus.PrometheusClient.Series;
import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackfillTest {

    private static final Duration TICK = Duration.ofSeconds(15);
    private final List<MetricsSnapshot> produced = new ArrayList<>();
    private final List<String> ranges = new ArrayList<>();

    private final InventorySource inventory = new InventorySource() {
        @Override
        public Discovery.Result discover(Instant time) {
            return new Discovery.Result(new Inventory(List.of(
                    new DatabaseRef("pg-1", "orders", "postgresql", "acme", "shop"),
                    new DatabaseRef("pg-2", "users", "postgresql", "acme", "shop"),
                    new DatabaseRef("rd-1", "cache", "redis", "acme", "shop")),
                    Map.of("pg-2", Duration.ofSeconds(30))), List.of());
        }

        @Override
        public boolean queriesPrometheus() {
            return true;
        }
    };

    private Backfill backfill() {
        return new Backfill((promql, start, end, step) -> {
            ranges.add(start + ".." + end + "/" + step.toSeconds());
            List<Point> points = new ArrayList<>();
            for (Instant t = start; !t.isAfter(end); t = t.plus(step)) {
                points.add(new Point(t, promql.contains("numbackends") ? Double.NaN : 7));
            }
            return List.of(new Series(Map.of("database_id", "pg-1"), points),
                    new Series(Map.of("database_id", "pg-2"), points), new Series(Map.of(), points));
        }, inventory, EngineCatalogue.builtIn(Json.newMapper()), produced::add, TICK, Throttle.NONE);
    }

    @Test
    void shouldProduceOneSnapshotPerDatabaseAndAlignedEvaluationTimeOfItsInterval() throws Exception {
        Instant from = Instant.parse("2026-11-25T10:00:01Z");
        Instant to = Instant.parse("2026-11-25T10:01:00Z");

        Backfill.Result result = backfill().run(new Backfill.Request(from, to, Optional.empty(),
                Optional.of("postgresql")));

        assertThat(result.databases()).isEqualTo(2);
        assertThat(result.queries()).as("5 metrics × 2 interval groups").isEqualTo(10);
        assertThat(produced).filteredOn(s -> s.databaseId().equals("pg-1")).extracting(MetricsSnapshot::timestamp)
                .containsExactly(Instant.parse("2026-11-25T10:00:15Z"), Instant.parse("2026-11-25T10:00:30Z"),
                        Instant.parse("2026-11-25T10:00:45Z"), Instant.parse("2026-11-25T10:01:00Z"));
        assertThat(produced).filteredOn(s -> s.databaseId().equals("pg-2")).extracting(MetricsSnapshot::timestamp)
                .containsExactly(Instant.parse("2026-11-25T10:00:30Z"), Instant.parse("2026-11-25T10:01:00Z"));
        assertThat(produced).allSatisfy(s -> {
            assertThat(s.missing()).containsExactly("connections");
            assertThat(s.value(Metric.STORAGE_SIZE)).isEqualTo(7.0);
        });
        assertThat(produced).noneMatch(s -> s.databaseId().equals("rd-1"));
    }

    @Test
    void shouldBackfillOneDatabaseOnlyWhenAsked() throws Exception {
        backfill().run(new Backfill.Request(Instant.parse("2026-11-25T10:00:00Z"),
                Instant.parse("2026-11-25T10:00:30Z"), Optional.of("pg-2"), Optional.empty()));

        assertThat(produced).extracting(MetricsSnapshot::databaseId).containsOnly("pg-2");
        assertThat(ranges).allSatisfy(r -> assertThat(r).endsWith("/30"));
    }

    @Test
    void shouldRefuseAnEmptyRangeOrTwoFilters() {
        Instant t = Instant.parse("2026-11-25T10:00:00Z");
        assertThatThrownBy(() -> new Backfill.Request(t, t, Optional.empty(), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backfill.Request(t, t.plusSeconds(60), Optional.of("a"), Optional.of("redis")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

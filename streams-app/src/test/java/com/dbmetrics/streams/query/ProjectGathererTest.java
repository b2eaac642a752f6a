package com.dbmetrics.streams.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProjectGathererTest {

    private static final Instant T = Instant.parse("2026-12-03T04:00:00Z");

    private static MetricsSnapshot snapshot(String id, Instant t, double connections) {
        return MetricsSnapshot.of(new DatabaseRef(id, id, "postgresql", "acme", "shop"), t, 5,
                Map.of(Metric.CONNECTIONS, connections));
    }

    @Test
    void shouldListEachDatabaseOnceWithItsNewestCopyWhenStandbysAnswerToo() {
        // three instances' parts: db-b active on the first, a standby copy 5 s older on the second; db-a the other way
        List<MetricsSnapshot> parts = List.of(
                snapshot("db-b", T.plusSeconds(10), 2), snapshot("db-a", T, 1),
                snapshot("db-b", T.plusSeconds(5), 99), snapshot("db-a", T.plusSeconds(10), 3), snapshot("db-c", T, 4),
                snapshot("db-c", T, 4));

        List<MetricsSnapshot> merged = ProjectGatherer.merge(parts);

        assertThat(merged).extracting(MetricsSnapshot::databaseId).containsExactly("db-a", "db-b", "db-c");
        assertThat(merged).extracting(s -> s.value(Metric.CONNECTIONS)).containsExactly(3.0, 2.0, 4.0);
    }

    @Test
    void shouldAnswerOnlyWhenThePartsCoverEveryActivePartition() {
        assertThat(ProjectGatherer.covers(Set.of(0, 1, 2, 3), Set.of(0, 1, 2, 3))).isTrue();
        assertThat(ProjectGatherer.covers(Set.of(0, 1, 2, 3, 4), Set.of(0, 1, 2, 3)))
                .as("standby copies read as well").isTrue();
        assertThat(ProjectGatherer.covers(Set.of(0, 1, 2), Set.of(0, 1, 2, 3)))
                .as("partition 3's task rebuilt from scratch, no copy read elsewhere: its databases would be missing")
                .isFalse();
        assertThat(ProjectGatherer.covers(Set.of(), Set.of())).as("the group's assignment not known yet").isFalse();
    }
}

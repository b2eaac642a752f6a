package com.dbmetrics.api.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.time.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotRendererTest {

    private static final Instant T = Instant.parse("2026-11-25T10:00:00Z");
    private final MutableClock clock = new MutableClock(T);
    // Redis is never asked for the breaker status while data is fresh; null proves it.
    private final SnapshotRenderer renderer = new SnapshotRenderer(null, Json.newMapper(), clock, Duration.ofSeconds(5));
    private final MetricsSnapshot snapshot = MetricsSnapshot.of(new DatabaseRef("db", "db", "redis", "a", "b"), T, 15,
            Map.of(Metric.CONNECTIONS, 3d));

    @Test
    void shouldStayFreshUpToTwoIntervalsPlusGrace() {
        clock.advance(Duration.ofSeconds(35)); // bound = 2 x 15 + 5
        SnapshotRenderer.Freshness atBound = renderer.freshness(snapshot);
        assertThat(atBound.stale()).isFalse();
        assertThat(atBound.ageSeconds()).isEqualTo(35);
        assertThat(atBound.maxAgeSeconds()).isZero();
        assertThat(renderer.render(snapshot, java.util.EnumSet.allOf(Metric.class), null).has("stale")).isFalse();

        clock.advance(Duration.ofMillis(1));
        assertThat(renderer.freshness(snapshot).stale()).isTrue();
    }

    @Test
    void shouldGiveRemainingFreshnessAsMaxAge() {
        clock.advance(Duration.ofSeconds(10));
        assertThat(renderer.freshness(snapshot).maxAgeSeconds()).isEqualTo(25);
    }

    @Test
    void shouldParseFieldsAndRefuseUnknownOnes() {
        assertThat(SnapshotRenderer.parseFields("connections, cpu_usage"))
                .containsExactly(Metric.CPU_USAGE, Metric.CONNECTIONS);
        assertThat(SnapshotRenderer.parseFields(null)).hasSize(5);
        assertThatThrownBy(() -> SnapshotRenderer.parseFields("connections,<script>"))
                .hasMessageContaining("Unknown field");
    }
}

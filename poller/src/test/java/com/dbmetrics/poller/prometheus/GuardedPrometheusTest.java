package com.dbmetrics.poller.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.time.MutableClock;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GuardedPrometheusTest {

    private final MutableClock clock = new MutableClock();
    private final List<PollerStatus> transitions = new ArrayList<>();

    @Test
    void shouldOpenAfterThresholdOutagesAndReportItTruthfully() {
        CircuitBreaker breaker = GuardedPrometheus.newBreaker(3, Duration.ofSeconds(60), clock);
        PrometheusClient unreachable = new PrometheusClient(java.net.http.HttpClient.newHttpClient(),
                java.net.URI.create("http://127.0.0.1:1"), com.dbmetrics.schemas.Json.newMapper(), Duration.ofSeconds(1));
        GuardedPrometheus guarded = new GuardedPrometheus(unreachable, breaker, clock, "p1", transitions::add);

        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> guarded.query("up", clock.instant())).isInstanceOf(PrometheusException.class);
        }

        assertThat(guarded.status().state()).isEqualTo(PollerStatus.State.OPEN);
        assertThat(guarded.status().lastError()).contains("unreachable");
        assertThat(transitions).extracting(PollerStatus::state).containsExactly(PollerStatus.State.OPEN);
        assertThatThrownBy(() -> guarded.query("up", clock.instant()))
                .isInstanceOfSatisfying(PrometheusException.class,
                        e -> assertThat(e.kind()).isEqualTo(PrometheusException.Kind.BREAKER_OPEN));

        clock.advance(Duration.ofSeconds(61));
        assertThatThrownBy(() -> guarded.query("up", clock.instant()))
                .isInstanceOfSatisfying(PrometheusException.class,
                        e -> assertThat(e.kind()).isEqualTo(PrometheusException.Kind.UNREACHABLE));
        assertThat(transitions).extracting(PollerStatus::state)
                .containsExactly(PollerStatus.State.OPEN, PollerStatus.State.HALF_OPEN, PollerStatus.State.OPEN);
    }

    @Test
    void shouldNotOpenOnBadQueries() throws Exception {
        CircuitBreaker breaker = GuardedPrometheus.newBreaker(2, Duration.ofSeconds(60), clock);
        for (int i = 0; i < 5; i++) {
            breaker.onError(0, java.util.concurrent.TimeUnit.NANOSECONDS,
                    new PrometheusException(PrometheusException.Kind.QUERY_ERROR, "bad", null));
        }
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    }
}

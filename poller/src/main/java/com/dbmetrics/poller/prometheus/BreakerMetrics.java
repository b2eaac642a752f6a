package com.dbmetrics.poller.prometheus;

import com.dbmetrics.schemas.PollerStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/** The breaker's state on {@code /metrics}: {@code dbm_poller_breaker_open} and one {@code dbm_poller_breaker_state}
 * gauge per state, 1 for the current one (as resilience4j's {@code TaggedCircuitBreakerMetrics} reads a breaker). */
public final class BreakerMetrics implements MeterBinder {

    private final GuardedPrometheus prometheus;

    public BreakerMetrics(GuardedPrometheus prometheus) {
        this.prometheus = prometheus;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("dbm_poller_breaker_open", prometheus, p -> p.status().state() == PollerStatus.State.OPEN ? 1 : 0)
                .strongReference(true).register(registry);
        for (PollerStatus.State state : PollerStatus.State.values()) {
            Gauge.builder("dbm_poller_breaker_state", prometheus, p -> p.status().state() == state ? 1 : 0)
                    .description("1 for the breaker's current state").tag("state", state.name())
                    .strongReference(true).register(registry);
        }
    }
}

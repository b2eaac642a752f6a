package com.dbmetrics.poller.prometheus;

import com.dbmetrics.poller.catalogue.Discovery;
import com.dbmetrics.schemas.PollerStatus;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Prometheus client behind a resilience4j circuit breaker. Only outages (unreachable, timeout, 5xx) count toward
 * opening it; a bad query is that query's problem. Its state is reported truthfully as a {@link PollerStatus}.
 */
public final class GuardedPrometheus implements Discovery.Querier {

    /** The breaker's name, also the key of its status record. */
    public static final String BREAKER_NAME = "prometheus";

    private static final Logger log = LoggerFactory.getLogger(GuardedPrometheus.class);

    private final PrometheusClient client;
    private final CircuitBreaker breaker;
    private final Clock clock;
    private final String pollerId;
    private volatile Instant stateSince;
    private volatile Instant lastSuccess;
    private volatile String lastError;

    public GuardedPrometheus(PrometheusClient client, CircuitBreaker breaker, Clock clock, String pollerId,
            Consumer<PollerStatus> onTransition) {
        this.client = client;
        this.breaker = breaker;
        this.clock = clock;
        this.pollerId = pollerId;
        this.stateSince = clock.instant();
        breaker.getEventPublisher().onStateTransition(event -> {
            stateSince = clock.instant();
            log.warn("Circuit breaker {} moved {} (last error: {})", breaker.getName(),
                    event.getStateTransition(), lastError);
            onTransition.accept(status());
        });
    }

    /**
     * Opens after {@code threshold} consecutive outage failures, stays open for {@code openFor}, then lets one trial
     * query through.
     */
    public static CircuitBreaker newBreaker(int threshold, Duration openFor, Clock clock) {
        CircuitBreakerConfig config = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(threshold)
                .minimumNumberOfCalls(threshold)
                .failureRateThreshold(100)
                .waitDurationInOpenState(openFor)
                .permittedNumberOfCallsInHalfOpenState(1)
                .recordException(e -> e instanceof PrometheusException p && p.kind().isOutage())
                .clock(clock)
                .build();
        return CircuitBreaker.of(BREAKER_NAME, config);
    }

    @Override
    public List<Sample> query(String promql, Instant time) throws PrometheusException {
        try {
            List<Sample> samples = breaker.executeCheckedSupplier(() -> client.query(promql, time));
            lastSuccess = clock.instant();
            return samples;
        } catch (CallNotPermittedException e) {
            throw new PrometheusException(PrometheusException.Kind.BREAKER_OPEN,
                    "circuit breaker " + BREAKER_NAME + " is open", e);
        } catch (PrometheusException e) {
            lastError = e.getMessage();
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("unexpected failure querying Prometheus", e);
        }
    }

    public CircuitBreaker.State state() {
        return breaker.getState();
    }

    public PollerStatus status() {
        PollerStatus.State state = switch (breaker.getState()) {
            case OPEN, FORCED_OPEN -> PollerStatus.State.OPEN;
            case HALF_OPEN -> PollerStatus.State.HALF_OPEN;
            default -> PollerStatus.State.CLOSED;
        };
        return new PollerStatus(BREAKER_NAME, state, stateSince, lastSuccess, lastError, clock.instant(), pollerId);
    }
}

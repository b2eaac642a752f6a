package com.dbmetrics.poller.prometheus;

import com.dbmetrics.schemas.PollerStatus;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Prometheus client behind a resilience4j circuit breaker and a bound on queries in flight. Only outages
 * (unreachable, timeout, 5xx, unparsable bodies) count toward opening it; a bad query is that query's problem. While it
 * is open no call reaches Prometheus. Its state is reported truthfully as a {@link PollerStatus}; each transition is
 * handed to {@code onTransition} on the querying thread (the poller queues it for the tick that owns the transaction).
 */
public final class GuardedPrometheus implements Querier {

    /** The breaker's name, also the key of its status record. */
    public static final String BREAKER_NAME = "prometheus";

    private static final Logger log = LoggerFactory.getLogger(GuardedPrometheus.class);

    private final PrometheusClient client;
    private final CircuitBreaker breaker;
    private final Clock clock;
    private final String pollerId;
    private final Semaphore inFlight;
    private final Duration slotTimeout;
    private volatile Instant stateSince;
    private volatile Instant lastSuccess;
    private volatile String lastError;

    /** Default number of queries allowed in flight toward Prometheus at once (Prometheus' own limit is 20). */
    public static final int DEFAULT_MAX_IN_FLIGHT = 4;

    public GuardedPrometheus(PrometheusClient client, CircuitBreaker breaker, Clock clock, String pollerId,
            Consumer<PollerStatus> onTransition) {
        this(client, breaker, clock, pollerId, onTransition, DEFAULT_MAX_IN_FLIGHT, Duration.ofSeconds(30));
    }

    /**
     * @param maxInFlight queries allowed toward Prometheus at once; further callers wait for a slot
     * @param slotTimeout how long a caller waits for a slot before giving up ({@code OVERLOADED}, not an outage)
     */
    public GuardedPrometheus(PrometheusClient client, CircuitBreaker breaker, Clock clock, String pollerId,
            Consumer<PollerStatus> onTransition, int maxInFlight, Duration slotTimeout) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be >= 1 but was " + maxInFlight);
        }
        this.inFlight = new Semaphore(maxInFlight, true);
        this.slotTimeout = slotTimeout;
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
                // A query that never left the poller says nothing about Prometheus. Every other answer, even a
                // refused query, proves Prometheus alive and counts as a success.
                .ignoreException(e -> e instanceof PrometheusException p
                        && p.kind() == PrometheusException.Kind.OVERLOADED)
                .clock(clock)
                .build();
        return CircuitBreaker.of(BREAKER_NAME, config);
    }

    @Override
    public List<Sample> query(String promql, Instant time) throws PrometheusException {
        try {
            // lastSuccess is set before the breaker records the success, so the status published on the
            // HALF_OPEN -> CLOSED transition already carries it.
            return breaker.executeCheckedSupplier(() -> {
                List<Sample> samples = bounded(promql, time);
                lastSuccess = clock.instant();
                return samples;
            });
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

    private List<Sample> bounded(String promql, Instant time) throws PrometheusException {
        boolean acquired;
        try {
            acquired = inFlight.tryAcquire(slotTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PrometheusException(PrometheusException.Kind.OVERLOADED, "interrupted waiting for a query slot", e);
        }
        if (!acquired) {
            throw new PrometheusException(PrometheusException.Kind.OVERLOADED, "no query slot free within "
                    + slotTimeout.toMillis() + " ms", null);
        }
        try {
            return client.query(promql, time);
        } finally {
            inFlight.release();
        }
    }

    /** Queries allowed in flight that are free now. */
    public int freeSlots() {
        return inFlight.availablePermits();
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

package com.dbmetrics.poller.schedule;

import com.dbmetrics.poller.publish.KafkaPublisher;
import com.dbmetrics.poller.publish.StatusChanges;
import com.dbmetrics.poller.publish.TickTransaction;
import com.dbmetrics.schemas.PollerStatus;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tick, and the owner of its Kafka transaction. Only the active poller queries Prometheus and writes: a standby
 * skips the tick entirely (no query). The active one opens the tick's {@link TickTransaction}, runs the cycle into it
 * (one transaction per engine, committed as soon as that engine's queries have answered), writes the breaker's status
 * changes and its status as the tick ends, and commits; a newer leader's producer can fence it.
 */
public final class TickRunner implements Consumer<Instant> {

    private static final Logger log = LoggerFactory.getLogger(TickRunner.class);

    private final PollCycle cycle;
    private final KafkaPublisher publisher;
    private final BooleanSupplier elected;
    private final boolean election;
    private final Supplier<PollerStatus> breakerStatus;
    private final StatusChanges statusChanges;
    private final Clock clock;
    private final TickMetrics metrics;

    /**
     * @param elected       whether this poller holds the election now (always true without an election)
     * @param election      whether there is an election (and so transactions that fence older leaders)
     * @param breakerStatus the breaker's status now, written at the end of every tick
     * @param statusChanges the breaker's transitions, queued by query threads, written by the tick's transaction
     */
    public TickRunner(PollCycle cycle, KafkaPublisher publisher, BooleanSupplier elected, boolean election,
            Supplier<PollerStatus> breakerStatus, StatusChanges statusChanges, Clock clock, TickMetrics metrics) {
        this.cycle = cycle;
        this.publisher = publisher;
        this.elected = elected;
        this.election = election;
        this.breakerStatus = breakerStatus;
        this.statusChanges = statusChanges;
        this.clock = clock;
        this.metrics = metrics;
    }

    @Override
    public void accept(Instant t) {
        if (!elected.getAsBoolean()) {
            if (publisher.isActive()) {
                log.info("Standing by: another poller is active");
                publisher.deactivate();
            }
            metrics.standby();
            return;
        }
        if (!publisher.isActive()) {
            if (!publisher.activate()) {
                metrics.aborted();
                return;
            }
            log.info("Active: producing{}", election ? " transactionally, older leaders fenced" : "");
        }
        Optional<TickTransaction> opened = publisher.beginTick(statusChanges);
        if (opened.isEmpty()) {
            return;
        }
        long started = clock.millis();
        try (TickTransaction transaction = opened.get()) {
            PollCycle.Outcome outcome = metrics.timeCycle(() -> cycle.run(t, transaction));
            transaction.publish(breakerStatus.get());
            boolean committed = transaction.commit();
            log.info("Tick T={} databases={} due={} queries={} failed={} snapshots={} tombstones={} committed={} "
                    + "took {} ms", t, cycle.inventory().databases().size(), outcome.due(), outcome.queries(),
                    outcome.failedQueries(), outcome.snapshots(), outcome.tombstones(), committed,
                    clock.millis() - started);
        }
    }
}

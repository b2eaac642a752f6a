package com.dbmetrics.poller.publish;

import com.dbmetrics.schemas.PollerStatus;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * Breaker status changes, handed over by whichever query thread saw the transition and written, in that order, by the
 * tick's transaction on the tick thread (never from a query thread). Queries run only inside ticks, and every tick
 * that opens a transaction empties the queue, so it holds at most one tick's transitions.
 */
public final class StatusChanges implements Consumer<PollerStatus> {

    private final Queue<PollerStatus> pending = new ConcurrentLinkedQueue<>();

    @Override
    public void accept(PollerStatus status) {
        pending.add(status);
    }

    /** Hands every queued change, oldest first, to {@code writer}. */
    void drainTo(Consumer<PollerStatus> writer) {
        for (PollerStatus status = pending.poll(); status != null; status = pending.poll()) {
            writer.accept(status);
        }
    }
}

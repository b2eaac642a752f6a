package com.dbmetrics.streams.errors;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.atomic.LongAdder;

/**
 * The dead letters written by every {@link DeadLetterHandler} of one Kafka Streams client. Kafka Streams builds the
 * handlers itself, so the app hands this counter over in the Streams configuration ({@link #CONFIG}).
 */
public final class DeadLetters implements MeterBinder {

    /** Streams config key carrying the {@link DeadLetters} instance the handlers count into. */
    public static final String CONFIG = "dbm.dlq.counter";

    private final LongAdder count = new LongAdder();

    void increment() {
        count.increment();
    }

    public long count() {
        return count.sum();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("dbm_streams_dead_letters", count, LongAdder::sum).register(registry);
    }
}

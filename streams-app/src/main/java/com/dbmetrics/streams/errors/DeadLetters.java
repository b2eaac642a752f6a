package com.dbmetrics.streams.errors;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The dead letters written by every {@link DeadLetterHandler} of one Kafka Streams client, and the records whose
 * processing failed (so a record is dead-lettered after its tries, across the replaced stream threads). Kafka Streams
 * builds the handlers itself, so the app hands this counter over in the Streams configuration ({@link #CONFIG}).
 */
public final class DeadLetters implements MeterBinder {

    /** Streams config key carrying the {@link DeadLetters} instance the handlers count into. */
    public static final String CONFIG = "dbm.dlq.counter";

    /** Source positions whose processing failed, remembered for the last few only. */
    private static final int REMEMBERED_FAILURES = 1024;

    private final LongAdder count = new LongAdder();
    private final LongAdder processingFailures = new LongAdder();
    private final Map<String, Integer> failures = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
            return size() > REMEMBERED_FAILURES;
        }
    };

    /** Counts one failed processing of the record at topic-partition@offset; returns how many times it failed. */
    synchronized int failedProcessing(String topic, int partition, long offset) {
        processingFailures.increment();
        return failures.merge(topic + '-' + partition + '@' + offset, 1, Integer::sum);
    }

    void increment() {
        count.increment();
    }

    public long count() {
        return count.sum();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("dbm_streams_dead_letters", count, LongAdder::sum).register(registry);
        FunctionCounter.builder("dbm_streams_processing_failures", processingFailures, LongAdder::sum)
                .description("Records whose processing threw (each try; the stream thread is replaced)")
                .register(registry);
    }
}

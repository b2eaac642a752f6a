package com.dbmetrics.api.load;

import java.util.function.Supplier;

/**
 * How long the request a thread runs has waited for I/O (Redis, the streams-app, a rate-limit lease) while holding
 * its slot of the overload guard. The guard sizes its slots by how long requests hold them, to see a saturated CPU
 * (see {@link LoadShedder}); a request that waits for a slow Redis holds its slot without using the CPU, and its wait
 * is taken out of that measure, so that a slow dependency does not look like a saturated CPU and cut the slots.
 *
 * <p>The guard calls {@link #begin()} on the thread that runs the request and {@link #end()} when the handler
 * returns; the places that block call {@link #during(Supplier)} or {@link #start()} / {@link #stop(long)}. On any
 * other thread these count nothing.
 */
public final class IoWaits {

    /** The waits of one request, in nanoseconds; written by the thread that runs it. */
    public static final class Counter {
        private volatile long nanos;

        public long nanos() {
            return nanos;
        }
    }

    private static final ThreadLocal<Counter> CURRENT = new ThreadLocal<>();

    private IoWaits() {}

    /** Counts the current thread's waits from now into a new counter, until {@link #end()}. */
    public static Counter begin() {
        Counter counter = new Counter();
        CURRENT.set(counter);
        return counter;
    }

    public static void end() {
        CURRENT.remove();
    }

    /** Runs {@code call}, counting its time as a wait for I/O. */
    public static <T> T during(Supplier<T> call) {
        long start = start();
        try {
            return call.get();
        } finally {
            stop(start);
        }
    }

    /** When a wait starts (0 on a thread that counts nothing); pass it to {@link #stop(long)}. */
    public static long start() {
        return CURRENT.get() == null ? 0 : System.nanoTime();
    }

    public static void stop(long start) {
        Counter counter;
        if (start != 0 && (counter = CURRENT.get()) != null) {
            counter.nanos += System.nanoTime() - start;
        }
    }
}

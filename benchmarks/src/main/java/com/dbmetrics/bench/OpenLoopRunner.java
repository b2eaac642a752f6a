package com.dbmetrics.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The engine of {@link OpenLoopLoad}: view {@code v} is due at {@code start + v / rate} (with a {@link RateSchedule} of
 * several phases: when the integral of the rate reaches {@code v}), whatever happened before.
 * A scheduler thread releases views at their due time (parking in between); one I/O thread, a {@link Selector} over a
 * fixed pool of keep-alive connections, turns released views into requests, hands them to free connections in
 * first-free order, and queues them while no connection is free. A view's latency runs from its due (intended) time to
 * its last answer, so time spent in the queue, in a late scheduler or in a busy I/O thread is counted: nothing is
 * hidden by the generator waiting for the server (no coordinated omission).
 */
final class OpenLoopRunner {

    private static final long HISTOGRAM_MAX_MICROS = TimeUnit.MINUTES.toMicros(10);
    private static final long CHECK_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int SETUP_CONNECT_TIMEOUT_MILLIS = 5000;
    /** Reconnects during a run block the I/O thread: each is short, and a batch stops at the first failure. */
    private static final int RECONNECT_TIMEOUT_MILLIS = 100;
    private static final int RECONNECTS_PER_CHECK = 200;

    record Settings(InetSocketAddress address, RateSchedule schedule, int connections, long timeoutNanos, long seed,
            boolean checkEmpty) {}

    /** One view in flight: its due time, whether it is in the measured window, how many answers it still waits for. */
    static final class View {
        final long intended;
        final boolean counted;
        int remaining;
        String failure;
        /** The status of the first non-2xx answer (0: none), and whether it carried {@code Retry-After}. */
        int status;
        boolean retryAfter;

        View(long intended, boolean counted, int parts) {
            this.intended = intended;
            this.counted = counted;
            this.remaining = parts;
        }
    }

    record Part(View view, byte[] request) {}

    /** Everything counted in the measured window (warm-up excluded, except {@code warmupErrors}). */
    static final class Tally {
        final Histogram latency = new Histogram(HISTOGRAM_MAX_MICROS, 3);
        final Histogram pickupLag = new Histogram(HISTOGRAM_MAX_MICROS, 3);
        final Histogram schedulerLag = new Histogram(HISTOGRAM_MAX_MICROS, 3);
        final TreeMap<String, Long> layers = new TreeMap<>();
        final TreeMap<Integer, Long> non2xx = new TreeMap<>();
        long views;
        long okViews;
        long requests;
        long okRequests;
        long timeouts;
        long connectionErrors;
        long emptyResults;
        long warmupErrors;
        long reconnects;
        long sentInWindow;
        int queueMax;
        long windowNanos;
        double processCpuSeconds;
        int partsPerView;
        double connectSeconds;
        PhaseTally phases;
    }

    private final Settings settings;
    private final Workload workload;
    private final Tally tally = new Tally();
    private final AtomicLong released = new AtomicLong();
    private final ArrayDeque<Part> queue = new ArrayDeque<>();
    private final ArrayDeque<HttpConnection> free = new ArrayDeque<>();
    private final List<HttpConnection> all = new ArrayList<>();
    private final List<HttpConnection> broken = new ArrayList<>();
    private Selector selector;
    private long start;
    private long windowStart;
    private long windowEnd;
    private long total;
    private int inFlight;

    OpenLoopRunner(Settings settings, Workload workload) {
        this.settings = settings;
        this.workload = workload;
    }

    Tally run() throws IOException, InterruptedException {
        selector = Selector.open();
        long setupStart = System.nanoTime();
        for (int i = 0; i < settings.connections(); i++) {
            HttpConnection connection = new HttpConnection(settings.address());
            try {
                connection.open(selector, SETUP_CONNECT_TIMEOUT_MILLIS);
            } catch (IOException e) {
                for (HttpConnection opened : all) {
                    opened.close();
                }
                throw new IOException("could open only " + i + " of " + settings.connections() + " connections to "
                        + settings.address() + ": " + e, e);
            }
            all.add(connection);
            free.add(connection);
        }
        tally.connectSeconds = (System.nanoTime() - setupStart) / 1e9;
        RateSchedule schedule = settings.schedule();
        long warmup = schedule.warmupNanos();
        long measure = TimeUnit.SECONDS.toNanos(schedule.measuredSeconds());
        total = schedule.totalViews();
        tally.phases = new PhaseTally(schedule);
        start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        windowStart = start + warmup;
        windowEnd = windowStart + measure;
        tally.windowNanos = measure;
        Thread scheduler = new Thread(this::schedule, "open-loop-scheduler");
        scheduler.setDaemon(true);
        scheduler.start();
        try {
            loop();
        } finally {
            scheduler.interrupt();
            scheduler.join(1000);
            for (HttpConnection connection : all) {
                connection.close();
            }
            selector.close();
        }
        return tally;
    }

    private long intended(long view) {
        return start + settings.schedule().dueNanos(view);
    }

    private boolean counted(long due) {
        return due >= windowStart && due < windowEnd;
    }

    /** The scheduler thread: releases every view whose time has come, then parks until the next one. */
    private void schedule() {
        long v = 0;
        while (v < total && !Thread.currentThread().isInterrupted()) {
            long now = System.nanoTime();
            long due = intended(v);
            if (now < due) {
                LockSupport.parkNanos(due - now);
                continue;
            }
            while (v < total && (due = intended(v)) <= now) {
                if (counted(due)) {
                    tally.schedulerLag.recordValue(Math.min(HISTOGRAM_MAX_MICROS, (now - due) / 1000));
                }
                v++;
            }
            released.set(v);
            selector.wakeup();
        }
    }

    private void loop() throws IOException {
        SplittableRandom random = new SplittableRandom(settings.seed());
        long created = 0;
        long lastCheck = System.nanoTime();
        long cpuAtWindowStart = -1;
        long deadline = Long.MAX_VALUE;
        while (true) {
            long upTo = released.get(); // before reading the clock: every view released so far is due by now
            long now = System.nanoTime();
            for (; created < upTo; created++) {
                long due = intended(created);
                byte[][] requests = workload.next(random);
                View view = new View(due, counted(due), requests.length);
                if (view.counted) {
                    tally.views++;
                    tally.requests += requests.length;
                    tally.pickupLag.recordValue(Math.min(HISTOGRAM_MAX_MICROS, Math.max(0, now - due) / 1000));
                    tally.phases.offered(due - start);
                }
                tally.partsPerView = requests.length;
                for (byte[] request : requests) {
                    queue.add(new Part(view, request));
                }
            }
            tally.queueMax = Math.max(tally.queueMax, queue.size());
            dispatch(now);
            if (cpuAtWindowStart < 0 && now >= windowStart) {
                cpuAtWindowStart = processCpuNanos();
            }
            if (created == total && deadline == Long.MAX_VALUE) {
                deadline = now + settings.timeoutNanos() + TimeUnit.SECONDS.toNanos(1);
                tally.processCpuSeconds = (processCpuNanos() - cpuAtWindowStart) / 1e9;
            }
            if (created == total && queue.isEmpty() && inFlight == 0) {
                return;
            }
            if (now > deadline) {
                abandonRemaining();
                return;
            }
            if (now - lastCheck > CHECK_EVERY_NANOS) {
                lastCheck = now;
                expire(now);
                reopenBroken();
            }
            selector.select(this::onReady, 100);
        }
    }

    private void dispatch(long now) {
        while (!queue.isEmpty() && !free.isEmpty()) {
            HttpConnection connection = free.pollFirst();
            Part part = queue.pollFirst();
            if (now >= windowStart && now < windowEnd) {
                tally.sentInWindow++;
                tally.phases.sent(now - start);
            }
            inFlight++;
            try {
                connection.send(part, now);
            } catch (IOException e) {
                fail(connection, "connection");
            }
        }
    }

    private void onReady(SelectionKey key) {
        HttpConnection connection = (HttpConnection) key.attachment();
        try {
            if (key.isValid() && key.isWritable()) {
                connection.flush();
            }
            if (key.isValid() && key.isReadable()) {
                boolean open = connection.read();
                if (connection.inFlight != null && connection.responseComplete(settings.checkEmpty())) {
                    answered(connection, System.nanoTime(), open);
                } else if (!open) {
                    if (connection.inFlight == null) { // the server closed an idle keep-alive connection
                        tally.reconnects++;
                        free.remove(connection);
                        reopen(connection);
                    } else {
                        fail(connection, "connection");
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            fail(connection, "connection");
        }
    }

    private void answered(HttpConnection connection, long now, boolean peerOpen) {
        Part part = connection.inFlight;
        connection.inFlight = null;
        inFlight--;
        View view = part.view();
        int status = connection.status;
        if (status >= 200 && status < 300) {
            if (view.counted) {
                tally.okRequests++;
                tally.layers.merge(connection.cache == null ? "none" : connection.cache, 1L, Long::sum);
                if (connection.emptyResult) {
                    tally.emptyResults++;
                }
            }
        } else {
            if (view.counted) {
                tally.non2xx.merge(status, 1L, Long::sum);
            }
            if (view.failure == null) {
                view.status = status;
                view.retryAfter = connection.retryAfter;
            }
            view.failure = "status";
        }
        finish(view, now);
        if (connection.closeAfter || !peerOpen) {
            tally.reconnects++;
            reopen(connection);
        } else {
            free.addLast(connection);
        }
    }

    /** The request in flight on a broken connection fails with {@code kind}; the connection is reopened. */
    private void fail(HttpConnection connection, String kind) {
        Part part = connection.inFlight;
        connection.inFlight = null;
        if (part != null) {
            inFlight--;
            if (part.view().counted) {
                if (kind.equals("timeout")) {
                    tally.timeouts++;
                } else {
                    tally.connectionErrors++;
                }
            }
            part.view().failure = kind;
            finish(part.view(), System.nanoTime());
        }
        connection.close();
        broken.add(connection); // reopened by the periodic check, so a dead server cannot stall this thread
    }

    private void finish(View view, long now) {
        if (--view.remaining > 0) {
            return;
        }
        if (!view.counted) {
            if (view.failure != null) {
                tally.warmupErrors++;
            }
        } else {
            if (view.failure == null) {
                tally.okViews++;
                tally.latency.recordValue(Math.min(HISTOGRAM_MAX_MICROS, Math.max(0, now - view.intended) / 1000));
            }
            PhaseTally.Outcome outcome = view.failure == null ? PhaseTally.Outcome.OK
                    : view.failure.equals("status") && view.status == 503 ? PhaseTally.Outcome.REFUSED
                    : PhaseTally.Outcome.ERROR;
            tally.phases.finished(view.intended - start, now - view.intended, outcome, view.retryAfter);
        }
    }

    /** Reopens a connection that is not in the free list and puts it there (or among the broken ones). */
    private boolean reopen(HttpConnection connection) {
        try {
            connection.open(selector, RECONNECT_TIMEOUT_MILLIS);
            free.addLast(connection);
            return true;
        } catch (IOException e) {
            connection.close();
            broken.add(connection);
            return false;
        }
    }

    private void reopenBroken() {
        for (int i = 0; i < RECONNECTS_PER_CHECK && !broken.isEmpty(); i++) {
            HttpConnection connection = broken.remove(broken.size() - 1);
            tally.reconnects++;
            if (!reopen(connection)) {
                return;
            }
        }
    }

    private void expire(long now) {
        for (HttpConnection connection : all) {
            if (connection.inFlight != null && now - connection.sentAt > settings.timeoutNanos()) {
                fail(connection, "timeout");
            }
        }
    }

    /** At the deadline: what is still queued or in flight has timed out. */
    private void abandonRemaining() {
        for (HttpConnection connection : all) {
            if (connection.inFlight != null) {
                fail(connection, "timeout");
            }
        }
        for (Part part : queue) {
            if (part.view().counted) {
                tally.timeouts++;
            }
            part.view().failure = "timeout";
            finish(part.view(), System.nanoTime());
        }
        queue.clear();
    }

    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean
                ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() : 0;
    }
}

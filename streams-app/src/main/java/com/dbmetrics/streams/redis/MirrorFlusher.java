package com.dbmetrics.streams.redis;

import java.time.Duration;

/**
 * The thread that empties the mirror's queue into Redis: every flush interval it takes what waits and writes it in one
 * pipeline; when Redis fails it puts the batch back and tries again after a backoff (50 ms, doubling up to 5 s). Built
 * idle: {@link #start()} starts the thread, {@link #close()} stops it after one last flush.
 */
final class MirrorFlusher implements AutoCloseable {

    private static final long MIN_BACKOFF_MS = 50;
    private static final long MAX_BACKOFF_MS = Duration.ofSeconds(5).toMillis();
    private static final long JOIN_MS = Duration.ofSeconds(5).toMillis();

    private final MirrorQueue queue;
    private final MirrorWriter writer;
    private final Duration interval;
    private Thread thread;
    private volatile boolean running;

    MirrorFlusher(MirrorQueue queue, MirrorWriter writer, Duration interval) {
        this.queue = queue;
        this.writer = writer;
        this.interval = interval;
    }

    synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("the Redis mirror's flusher is already started");
        }
        running = true;
        thread = new Thread(this::run, "redis-mirror");
        thread.setDaemon(true);
        thread.start();
    }

    /** Whether the thread runs (started and not closed). */
    boolean running() {
        return running;
    }

    /** Writes everything waiting in one pipeline; returns false, and puts it back, when Redis failed. */
    boolean flushOnce() {
        MirrorQueue.Batch batch = queue.take();
        if (batch == null) {
            return true;
        }
        if (writer.write(batch)) {
            queue.written(batch);
            return true;
        }
        queue.putBack(batch);
        return false;
    }

    private void run() {
        long backoffMs = 0;
        while (running) {
            try {
                Thread.sleep(backoffMs > 0 ? backoffMs : interval.toMillis());
            } catch (InterruptedException e) {
                if (!running) {
                    break;
                }
            }
            backoffMs = flushOnce() ? 0 : Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, backoffMs * 2));
        }
        flushOnce();
    }

    @Override
    public void close() {
        Thread started;
        synchronized (this) {
            started = thread;
            running = false;
        }
        if (started == null) {
            return;
        }
        started.interrupt();
        try {
            started.join(JOIN_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

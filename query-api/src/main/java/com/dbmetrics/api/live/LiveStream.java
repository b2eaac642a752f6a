package com.dbmetrics.api.live;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One open server-sent-events stream: a bounded queue of frames written to the client without ever blocking a thread
 * (the servlet's non-blocking output: a frame is written only when the connection can take it, the rest wait in the
 * queue). A client that lets {@code buffer} frames pile up is too slow and is closed ({@link End#SLOW}); the feed
 * thread that offered the frame goes on to the other streams at once.
 *
 * <p>Each database's events go out in event-time order and once: a frame not newer than the last one sent for its
 * database is skipped (the first snapshot, a resumed history and live events may overlap). Frames that arrive while
 * the stream sends its first snapshot(s) wait until those are queued, so nothing newer is overtaken by something older.
 *
 * <p>The feed's frames are handed over by {@link #offer} (a short lock of its own, never held across a write, so the
 * fan-out does not wait for a stream's socket) and written by {@link #writeQueued} on a writer thread: frames that
 * arrive while the stream waits for its writer go out in the same write (the fan-out coalesces under load).
 */
public final class LiveStream implements WriteListener, AsyncListener {

    /** Why a stream ended. */
    public enum End {
        CLIENT_GONE, SLOW, SHUTDOWN;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A frame for one database: an event at its event time. */
    record Frame(String databaseId, long eventMillis, byte[] bytes) {}

    private static final byte[] HEARTBEAT = ":\n\n".getBytes(StandardCharsets.US_ASCII);
    /** Sent first: how long an EventSource waits before it reconnects (ms). */
    private static final byte[] RETRY = "retry: 2000\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_WRITE = 64 * 1024;

    final String user;
    /** The database of a database stream, else null. */
    final String databaseId;
    /** {@code domain/project} of a project stream, else null. */
    final String projectKey;
    /** Which fields the client asked for: frames are rendered once per distinct value. */
    final String fieldsKey;
    final java.util.Set<com.dbmetrics.schemas.Metric> fields;
    private final int buffer;
    private final StreamHub hub;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    /**
     * The event time last queued per database, updated in place: a stream lives for hours and its objects end up in
     * the old generation, where every store of a new object (a boxed time, a new list) is a card the collector must
     * refine and, until the next young collection, scan; at 10,000 streams those were most of a pause's work.
     */
    private final Map<String, long[]> lastSent = new HashMap<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private List<Frame> arrivedWhileStarting = new ArrayList<>();
    private ServletOutputStream out;
    private boolean flushPending;
    private boolean closed;
    /** {@link System#nanoTime()} of the last write to the connection. */
    private long lastWrite = System.nanoTime();
    /** Guards {@link #offered} and {@link #scheduled}: the hand-over from the fan-out. */
    private final Object offers = new Object();
    private List<Frame> offered = new ArrayList<>();
    /**
     * The list a writer took last, emptied: the next hand-over's, so that no list is made per write. Only writers touch
     * it, under the stream's lock.
     */
    private List<Frame> taken = new ArrayList<>();
    /** Waiting for a writer ({@link #offer} said so): more frames join the same write. */
    private boolean scheduled;

    LiveStream(StreamHub hub, String user, String databaseId, String projectKey, String fieldsKey,
            java.util.Set<com.dbmetrics.schemas.Metric> fields, int buffer) {
        this.hub = hub;
        this.user = user;
        this.databaseId = databaseId;
        this.projectKey = projectKey;
        this.fieldsKey = fieldsKey;
        this.fields = fields;
        this.buffer = buffer;
    }

    /** Completes when the stream has ended: the request then finishes. */
    public CompletableFuture<Void> done() {
        return done;
    }

    /** Takes the connection over: from now on writes happen when it can take them. */
    synchronized void attach(AsyncContext async, ServletOutputStream output) {
        this.out = output;
        queue.add(RETRY);
        async.addListener(this);
        output.setWriteListener(this); // the container calls onWritePossible once it is ready
    }

    /** Queues the first frames, then whatever the feed brought meanwhile. */
    void start(List<Frame> first) {
        boolean ended;
        synchronized (this) {
            for (Frame f : first) {
                push(f);
            }
            List<Frame> arrived = arrivedWhileStarting;
            arrivedWhileStarting = null;
            for (Frame f : arrived) {
                push(f);
            }
            ended = settle();
        }
        finishIf(ended);
    }

    /**
     * A frame from the feed (the fan-out's one thread hands them over oldest first); true when the stream now waits for
     * a writer to call {@link #writeQueued} (false: it already waits for one).
     */
    boolean offer(Frame frame) {
        synchronized (offers) {
            offered.add(frame);
            if (scheduled) {
                return false;
            }
            scheduled = true;
            return true;
        }
    }

    /**
     * Writes what the feed handed over (all of it in one write when the connection takes it): a writer's call. The
     * hand-over is taken under the stream's lock, so that two writers taking the same stream one after the other queue
     * its frames in the order the feed brought them (a newer frame queued first would make the older ones skipped).
     */
    void writeQueued() {
        boolean ended = false;
        synchronized (this) {
            List<Frame> frames;
            synchronized (offers) {
                frames = offered;
                offered = taken;
                scheduled = false;
            }
            if (!closed) {
                if (arrivedWhileStarting != null) { // start() runs now, on the opening request's thread: it takes them
                    arrivedWhileStarting.addAll(frames);
                } else {
                    for (Frame f : frames) {
                        push(f);
                    }
                    ended = settle();
                }
            }
            frames.clear(); // holds no frame until the next hand-over
            taken = frames;
        }
        finishIf(ended);
    }

    /**
     * A comment line, when nothing waits and nothing was written for {@code idleNanos}: keeps proxies from closing an
     * idle stream, and finds clients gone. A stream that gets events needs none.
     */
    void heartbeat(long now, long idleNanos) {
        boolean ended;
        synchronized (this) {
            if (closed || arrivedWhileStarting != null || !queue.isEmpty() || now - lastWrite < idleNanos) {
                return;
            }
            queue.add(HEARTBEAT);
            ended = drain();
        }
        finishIf(ended);
    }

    /** Ends the stream from the server's side ({@link End#SHUTDOWN}: a last event says so). */
    void close(End reason) {
        boolean ended;
        synchronized (this) {
            ended = end(reason);
        }
        finishIf(ended);
    }

    /** Queues a frame unless its database already got a newer one. */
    private void push(Frame frame) {
        if (closed) {
            return;
        }
        long[] last = lastSent.get(frame.databaseId());
        if (last == null) {
            lastSent.put(frame.databaseId(), new long[] {frame.eventMillis()});
        } else if (last[0] >= frame.eventMillis()) {
            return;
        } else {
            last[0] = frame.eventMillis();
        }
        queue.add(frame.bytes());
    }

    /**
     * Writes what the connection takes; then, when more than {@code buffer} frames still wait for the client, it is too
     * slow and the stream ends ({@link End#SLOW}). Counted after writing, so that one hand-over larger than the buffer
     * (a tick of a project with more databases than that, or a stream's first snapshots) does not end a client that
     * reads. True when the stream ended.
     */
    private boolean settle() {
        if (drain()) {
            return true;
        }
        return !closed && queue.size() > buffer && end(End.SLOW);
    }

    /** Writes while the connection takes it; true when the connection failed (the stream ended). */
    private boolean drain() {
        if (closed || out == null) {
            return false;
        }
        try {
            while (out.isReady()) {
                if (queue.isEmpty()) {
                    if (!flushPending) {
                        return false;
                    }
                    flushPending = false;
                    out.flush();
                    continue;
                }
                byte[] next = queue.poll();
                int frames = next == HEARTBEAT || next == RETRY ? 0 : 1;
                if (!queue.isEmpty() && next.length < MAX_WRITE) {
                    ByteArrayOutputStream joined = new ByteArrayOutputStream(Math.min(MAX_WRITE * 2, 4096));
                    joined.write(next);
                    while (!queue.isEmpty() && joined.size() + queue.peek().length <= MAX_WRITE) {
                        byte[] b = queue.poll();
                        frames += b == HEARTBEAT || b == RETRY ? 0 : 1;
                        joined.write(b);
                    }
                    next = joined.toByteArray();
                }
                out.write(next);
                lastWrite = System.nanoTime();
                flushPending = true;
                hub.sent(frames);
            }
            return false;
        } catch (IOException | IllegalStateException e) {
            return end(End.CLIENT_GONE);
        }
    }

    /** Marks the stream ended (once); true when this call ended it. */
    private boolean end(End reason) {
        if (closed) {
            return false;
        }
        if (reason == End.SHUTDOWN && out != null) {
            queue.clear();
            queue.add(("event: shutdown\ndata: {\"reason\":\"This instance is shutting down; reconnect with "
                    + "Last-Event-ID\"}\n\n").getBytes(StandardCharsets.US_ASCII));
            if (drain() || closed) {
                return true; // the connection failed on that last write: already ended as gone
            }
        }
        closed = true;
        queue.clear();
        hub.ended(this, reason);
        return true;
    }

    private void finishIf(boolean ended) {
        if (ended) {
            done.complete(null); // outside the lock: Javalin then completes the request on this thread
        }
    }

    @Override
    public void onWritePossible() {
        boolean ended;
        synchronized (this) {
            ended = drain();
        }
        finishIf(ended);
    }

    @Override
    public void onError(Throwable t) {
        close(End.CLIENT_GONE);
    }

    @Override
    public void onComplete(AsyncEvent event) {
        close(End.CLIENT_GONE);
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        close(End.CLIENT_GONE);
    }

    @Override
    public void onError(AsyncEvent event) {
        close(End.CLIENT_GONE);
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // not restarted
    }
}

package com.dbmetrics.schemas.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A value read from a file that is replaced while the process runs (a rotated bearer token, a JWKS file, a Kubernetes
 * projected or mounted secret). The file's modification time and size are looked at no more than once per
 * {@code every} on the injected clock; each new version of the file is read once. A version that cannot be read or
 * parsed keeps the value read before (logged without its content, counted): a rotation caught half-written is a
 * version too, and the finished file is another one, read in turn.
 *
 * @param <T> what the file holds
 */
public final class WatchedFile<T> {

    /** Reads one version of the file; any exception keeps the previous value. */
    @FunctionalInterface
    public interface Reader<T> {
        T read(Path file) throws Exception;
    }

    private record Stamp(long modifiedMillis, long size) {
        static final Stamp UNREADABLE = new Stamp(-1, -1);

        static Stamp of(Path file) throws IOException {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(attributes.lastModifiedTime().toMillis(), attributes.size());
        }
    }

    private static final Logger log = LoggerFactory.getLogger(WatchedFile.class);

    private final String what;
    private final Path file;
    private final Clock clock;
    private final long everyMillis;
    private final Reader<T> reader;
    private final LongAdder reloads = new LongAdder();
    private final LongAdder reloadFailures = new LongAdder();
    private volatile T value;
    private volatile long nextCheckMillis;
    private Stamp seen;

    /**
     * @param what    names the file in logs, e.g. the variable that points at it
     * @param initial the value of the file as it is now, read by the caller (whose errors at start are its own)
     */
    public WatchedFile(String what, Path file, Clock clock, Duration every, T initial, Reader<T> reader) {
        this.what = what;
        this.file = file;
        this.clock = clock;
        this.everyMillis = every.toMillis();
        this.reader = reader;
        this.value = initial;
        this.nextCheckMillis = clock.millis() + everyMillis;
        Stamp stamp;
        try {
            stamp = Stamp.of(file);
        } catch (IOException e) {
            stamp = Stamp.UNREADABLE;
        }
        this.seen = stamp;
    }

    /** The value now, the file looked at first when {@code every} has passed since the last look. */
    public T current() {
        if (clock.millis() >= nextCheckMillis) {
            check();
        }
        return value;
    }

    private synchronized void check() {
        long now = clock.millis();
        if (now < nextCheckMillis) {
            return; // another thread just looked
        }
        nextCheckMillis = now + everyMillis;
        Stamp stamp;
        try {
            stamp = Stamp.of(file);
        } catch (IOException e) {
            refuse(Stamp.UNREADABLE, "cannot be read (" + e.getClass().getSimpleName() + ")");
            return;
        }
        if (stamp.equals(seen)) {
            return;
        }
        try {
            T read = reader.read(file);
            seen = stamp;
            value = read;
            reloads.increment();
            log.info("{} {} changed: re-read", what, file);
        } catch (Exception e) {
            refuse(stamp, "could not be used (" + e.getClass().getSimpleName() + ")");
        }
    }

    private void refuse(Stamp stamp, String problem) {
        if (stamp.equals(seen)) {
            return;
        }
        seen = stamp;
        reloadFailures.increment();
        log.warn("{} {} {}: keeping what was read before", what, file, problem);
    }

    /** Versions read since start. */
    public long reloads() {
        return reloads.sum();
    }

    /** Versions that could not be read or used since start. */
    public long reloadFailures() {
        return reloadFailures.sum();
    }
}

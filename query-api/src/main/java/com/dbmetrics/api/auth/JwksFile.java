package com.dbmetrics.api.auth;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.text.ParseException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The verification keys of a JWKS file, re-read when the file changes (its modification time or size, looked at no
 * more than once a second on the injected clock), so keys rotate without a restart. A new file that cannot be read or
 * parsed keeps the keys already loaded; it is logged and counted ({@code dbm_api_jwks_reload_failures_total}) once
 * per version of the file. The first read must succeed: a process without keys does not start.
 */
final class JwksFile implements JWKSource<SecurityContext>, MeterBinder {

    private static final Logger log = LoggerFactory.getLogger(JwksFile.class);
    static final long CHECK_INTERVAL_MS = 1_000;

    private final Path file;
    private final Clock clock;
    private final LongAdder reloads = new LongAdder();
    private final LongAdder reloadFailures = new LongAdder();
    private volatile JWKSet keys;
    private volatile long nextCheckMillis;
    /** The version of the file last looked at (loaded or refused): a version is read once. */
    private Stamp seen;

    private record Stamp(long modifiedMillis, long size) {
        static final Stamp UNREADABLE = new Stamp(-1, -1);

        static Stamp of(Path file) throws IOException {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(attributes.lastModifiedTime().toMillis(), attributes.size());
        }
    }

    JwksFile(Path file, Clock clock) throws IOException, ParseException {
        this.file = file;
        this.clock = clock;
        this.seen = Stamp.of(file);
        this.keys = JWKSet.parse(Files.readString(file));
        this.nextCheckMillis = clock.millis() + CHECK_INTERVAL_MS;
    }

    @Override
    public List<JWK> get(JWKSelector selector, SecurityContext context) {
        return selector.select(current());
    }

    /** The keys now, re-read first when a second has passed since the last look and the file changed. */
    JWKSet current() {
        if (clock.millis() >= nextCheckMillis) {
            check();
        }
        return keys;
    }

    private synchronized void check() {
        long now = clock.millis();
        if (now < nextCheckMillis) {
            return; // another thread just looked
        }
        nextCheckMillis = now + CHECK_INTERVAL_MS;
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
            JWKSet parsed = JWKSet.parse(Files.readString(file));
            if (parsed.getKeys().isEmpty()) {
                throw new ParseException("no keys", 0);
            }
            seen = stamp;
            keys = parsed;
            reloads.increment();
            log.info("JWKS file {} re-read: {} keys", file, parsed.getKeys().size());
        } catch (IOException | ParseException | RuntimeException e) {
            refuse(stamp, "is not a valid JWKS (" + e.getClass().getSimpleName() + ")");
        }
    }

    private void refuse(Stamp stamp, String problem) {
        if (stamp.equals(seen)) {
            return;
        }
        seen = stamp;
        reloadFailures.increment();
        log.warn("JWKS file {} {}: keeping the {} keys loaded before", file, problem, keys.getKeys().size());
    }

    long reloads() {
        return reloads.sum();
    }

    long reloadFailures() {
        return reloadFailures.sum();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("dbm_api_jwks_reloads", reloads, LongAdder::sum).register(registry);
        FunctionCounter.builder("dbm_api_jwks_reload_failures", reloadFailures, LongAdder::sum).register(registry);
    }
}

package com.dbmetrics.api.auth;

import com.dbmetrics.schemas.config.WatchedFile;
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
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The verification keys of a JWKS file, re-read when the file changes (a {@link WatchedFile} looked at no more than
 * once a second on the injected clock), so keys rotate without a restart. A new version that cannot be read or parsed
 * keeps the keys already loaded; it is logged and counted ({@code dbm_api_jwks_reload_failures_total}) once per
 * version of the file. The first read must succeed: a process without keys does not start.
 */
final class JwksFile implements JWKSource<SecurityContext>, MeterBinder {

    static final Duration CHECK_EVERY = Duration.ofSeconds(1);

    private final WatchedFile<JWKSet> keys;

    JwksFile(Path file, Clock clock) throws IOException, ParseException {
        this.keys = new WatchedFile<>("AUTH_JWKS_FILE", file, clock, CHECK_EVERY, parse(file), JwksFile::parse);
    }

    private static JWKSet parse(Path file) throws IOException, ParseException {
        JWKSet parsed = JWKSet.parse(Files.readString(file));
        if (parsed.getKeys().isEmpty()) {
            throw new ParseException("no keys", 0);
        }
        return parsed;
    }

    @Override
    public List<JWK> get(JWKSelector selector, SecurityContext context) {
        return selector.select(current());
    }

    /** The keys now, re-read first when a second has passed since the last look and the file changed. */
    JWKSet current() {
        return keys.current();
    }

    long reloads() {
        return keys.reloads();
    }

    long reloadFailures() {
        return keys.reloadFailures();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("dbm_api_jwks_reloads", keys, WatchedFile::reloads).register(registry);
        FunctionCounter.builder("dbm_api_jwks_reload_failures", keys, WatchedFile::reloadFailures).register(registry);
    }
}

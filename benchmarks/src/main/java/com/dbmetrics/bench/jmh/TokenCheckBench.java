package com.dbmetrics.bench.jmh;

import com.dbmetrics.api.ApiConfig;
import com.dbmetrics.api.auth.AuthResult;
import com.dbmetrics.api.auth.JwtAuthenticator;
import com.dbmetrics.api.auth.Principal;
import com.github.benmanes.caffeine.cache.Ticker;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The bearer-token check of every {@code /api/*} request, {@code JwtAuthenticator.authenticate} as the API builds it
 * (HS256 secret, required issuer as {@code ./dbm up} configures it), on a token shaped like {@code ./dbm token}'s:
 * <ul>
 *   <li>{@code cached}: the token was verified before and is in the authenticator's token cache (system ticker);</li>
 *   <li>{@code uncached}: the same token with the same authenticator code, but its cache's ticker moves 10 minutes on
 *       every reading, so the entry written by one check has expired (the cache holds a token at most 5 minutes) by
 *       the next: each call misses, then does the full HS256 verification, the {@code exp}/{@code nbf}/{@code iss}
 *       and required-claim checks, builds the principal and writes the cache, as for a token seen for the first time.
 *       </li>
 * </ul>
 * {@code uncached / cached} is what the token cache buys per request.
 *
 * <p>Run (from the repository root, after {@code mvn -B -q -DskipTests -pl benchmarks -am package}):
 * <pre>
 * java -cp benchmarks/target/dbmetrics-benchmarks.jar org.openjdk.jmh.Main 'com.dbmetrics.bench.jmh.TokenCheckBench' \
 *      -f 3 -wi 3 -w 1s -i 4 -r 1s -rf json -rff /tmp/token-check.json
 * </pre>
 * {@code benchmarks/scenarios/jmh.sh} ({@code ./dbm bench jmh}) runs it with every other JMH benchmark.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class TokenCheckBench {

    private static final long TEN_MINUTES_NANOS = Duration.ofMinutes(10).toNanos();

    private JwtAuthenticator withCache;
    private JwtAuthenticator cacheAlwaysExpired;
    private String authorization;

    @Setup
    public void setUp() throws JOSEException {
        ApiConfig config = QueryApiParts.defaultConfig();
        Clock clock = Clock.systemUTC();
        String secret = config.jwtSecret().orElseThrow();
        long now = clock.millis();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .subject("bench")
                .claim("tenants", List.of("acme/shop"))
                .claim("roles", List.of())
                .issueTime(new Date(now))
                .expirationTime(new Date(now + Duration.ofDays(1).toMillis()))
                .issuer(config.jwtIssuer().orElseThrow())
                .build();
        SignedJWT token = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
                claims);
        token.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        authorization = "Bearer " + token.serialize();

        withCache = JwtAuthenticator.hmac(secret, config.jwtIssuer().orElse(null), config.jwtAudience().orElse(null),
                clock, Ticker.systemTicker());
        AtomicLong jumping = new AtomicLong();
        cacheAlwaysExpired = JwtAuthenticator.hmac(secret, config.jwtIssuer().orElse(null),
                config.jwtAudience().orElse(null), clock, () -> jumping.addAndGet(TEN_MINUTES_NANOS));
        // a cache hit returns the principal built when the token was verified; a verification builds a new one
        if (principal(cached()) != principal(cached())) {
            throw new IllegalStateException("the second check with the token cache should be a hit");
        }
        if (principal(uncached()) == principal(uncached())) {
            throw new IllegalStateException("every check with the always-expired token cache should verify anew");
        }
    }

    private static Principal principal(AuthResult result) {
        if (result instanceof AuthResult.Authenticated ok) {
            return ok.principal();
        }
        throw new IllegalStateException("the benchmark token should be accepted but was " + result);
    }

    @Benchmark
    public AuthResult cached() {
        return withCache.authenticate(authorization);
    }

    @Benchmark
    public AuthResult uncached() {
        return cacheAlwaysExpired.authenticate(authorization);
    }
}

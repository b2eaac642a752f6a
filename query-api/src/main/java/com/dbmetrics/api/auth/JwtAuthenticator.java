package com.dbmetrics.api.auth;

import com.github.benmanes.caffeine.cache.Interner;
import com.github.benmanes.caffeine.cache.Ticker;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * Verifies bearer JWTs with pinned algorithms (HS256 with a shared secret, by {@link Hs256Verifier}, or RS256/ES256
 * with keys from a JWKS file, re-read when it changes, by {@link NimbusVerifier}): signature, {@code exp} (required),
 * {@code nbf}, {@code iss}/{@code aud} when configured, and a lifetime ({@code exp - iat}, or {@code exp - now} without
 * {@code iat}) no longer than the maximum. Verified tokens are cached until they expire, 5 minutes at most
 * ({@link VerifiedTokens}: a fixed table, keyed by the token's SHA-256 digest, never the token), so signature checks
 * stay off the hot path; failed checks are bounded per client and globally by an {@link AuthFailureLimit}: past it a
 * token not in the cache is refused without checking its signature.
 */
public final class JwtAuthenticator implements MeterBinder {

    /** Longest token lifetime accepted unless told otherwise. */
    public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofHours(24);
    private static final long MAX_CACHE_NANOS = 5L * 60 * 1_000_000_000;
    static final int MAX_TOKEN_CHARS = 8192;

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    });

    private final TokenVerifier verifier;
    private final JwksFile jwks;
    private final VerifiedTokens verified;
    /** One instance per distinct tenant list and role set: thousands of users of a project share one list. */
    private final Interner<List<String>> tenantLists = Interner.newWeakInterner();
    private final Interner<Set<String>> roleSets = Interner.newWeakInterner();
    private final Clock clock;
    private final Ticker ticker;
    private final long maxLifetimeMillis;
    private final AuthFailureLimit failures;
    /**
     * While the instance warms up ({@link #openWarmup}), the check of tokens signed with a key that only this process
     * holds and never writes anywhere; null otherwise, so no such token is accepted before or after.
     */
    private volatile TokenVerifier warmup;

    /** Issuer of the warm-up tokens; their subjects start with {@link #WARMUP_SUBJECT}. */
    static final String WARMUP_ISSUER = "dbmetrics-warmup";
    public static final String WARMUP_SUBJECT = "dbm-warmup:";

    /**
     * A token's SHA-256 digest as four longs: the cache key, so the cache never holds a usable credential.
     */
    record TokenDigest(long a, long b, long c, long d) {

        static TokenDigest of(byte[] sha256) {
            ByteBuffer bytes = ByteBuffer.wrap(sha256);
            return new TokenDigest(bytes.getLong(), bytes.getLong(), bytes.getLong(), bytes.getLong());
        }

        @Override
        public int hashCode() {
            return (int) (a ^ (a >>> 32)); // a digest's bits are uniform already
        }
    }

    private JwtAuthenticator(TokenVerifier verifier, JwksFile jwks, Clock clock,
            Ticker ticker, Duration maxLifetime, AuthFailureLimit failures) {
        if (maxLifetime == null || maxLifetime.isZero() || maxLifetime.isNegative()) {
            throw new IllegalArgumentException("the maximum token lifetime must be > 0 but was " + maxLifetime);
        }
        this.verifier = verifier;
        this.jwks = jwks;
        this.clock = clock;
        this.ticker = ticker;
        this.maxLifetimeMillis = maxLifetime.toMillis();
        this.failures = failures;
        this.verified = new VerifiedTokens(VerifiedTokens.SLOTS, clock, ticker, MAX_CACHE_NANOS);
    }

    /** HS256 with {@code secret}; the default lifetime bound and no bound on failures (see {@link #limited}). */
    public static JwtAuthenticator hmac(String secret, String issuer, String audience, Clock clock, Ticker ticker) {
        return new JwtAuthenticator(new Hs256Verifier(secret.getBytes(StandardCharsets.UTF_8), issuer, audience, clock),
                null, clock, ticker, DEFAULT_MAX_LIFETIME, AuthFailureLimit.unlimited(clock, ticker));
    }

    /** RS256/ES256 with the keys of {@code jwksFile}, re-read when it changes; it must be readable now. */
    public static JwtAuthenticator jwks(Path jwksFile, String issuer, String audience, Clock clock, Ticker ticker)
            throws IOException, ParseException {
        JwksFile keys = new JwksFile(jwksFile, clock);
        return new JwtAuthenticator(NimbusVerifier.create(new JWSVerificationKeySelector<>(
                Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256), keys), issuer, audience, clock), keys, clock, ticker,
                DEFAULT_MAX_LIFETIME, AuthFailureLimit.unlimited(clock, ticker));
    }

    /** The same verification with {@code maxLifetime} and failures bounded by {@code failures} (an empty cache). */
    public JwtAuthenticator limited(Duration maxLifetime, AuthFailureLimit failures) {
        return new JwtAuthenticator(verifier, jwks, clock, ticker, maxLifetime, failures);
    }

    /** Checks an {@code Authorization} header value from an unknown client. */
    public AuthResult authenticate(String authorization) {
        return authenticate(authorization, null);
    }

    /** Checks an {@code Authorization} header value sent from {@code client} (its address; null when unknown). */
    public AuthResult authenticate(String authorization, String client) {
        if (authorization == null || authorization.isBlank()) {
            return reject(client, AuthFailureLimit.Reason.MISSING, "Missing bearer token");
        }
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return reject(client, AuthFailureLimit.Reason.MALFORMED, "Authorization must be a Bearer token");
        }
        String jwt = authorization.substring(7).trim();
        if (jwt.isEmpty() || jwt.length() > MAX_TOKEN_CHARS) {
            return reject(client, AuthFailureLimit.Reason.MALFORMED, "Invalid bearer token");
        }
        TokenDigest digest = digest(jwt);
        Principal cached = verified.get(digest);
        if (cached != null) {
            return new AuthResult.Authenticated(cached);
        }
        long retryAfter = failures.retryAfterSeconds(client);
        if (retryAfter > 0) {
            return new AuthResult.Throttled(retryAfter);
        }
        TokenVerifier.Verified token;
        try {
            token = verifier.verify(jwt);
        } catch (TokenVerifier.InvalidToken e) {
            token = warmupToken(jwt);
            if (token == null) {
                return reject(client, AuthFailureLimit.Reason.INVALID, "Invalid or expired token");
            }
        }
        long expires = token.expiresAtMillis();
        Long issued = token.issuedAtMillis();
        if (expires - (issued != null ? issued : clock.millis()) > maxLifetimeMillis) {
            return reject(client, AuthFailureLimit.Reason.LIFETIME, "Token lifetime exceeds the maximum accepted");
        }
        Principal principal = new Principal(token.subject(), tenantLists.intern(List.copyOf(token.tenants())),
                roleSets.intern(Set.copyOf(token.roles())));
        verified.put(digest, principal, expires);
        return new AuthResult.Authenticated(principal);
    }

    /** {@code jwt} checked as a warm-up token while the warm-up is open; null when closed or not one. */
    private TokenVerifier.Verified warmupToken(String jwt) {
        TokenVerifier check = warmup;
        if (check == null) {
            return null;
        }
        try {
            TokenVerifier.Verified token = check.verify(jwt);
            return token.subject().startsWith(WARMUP_SUBJECT) ? token : null;
        } catch (TokenVerifier.InvalidToken e) {
            return null;
        }
    }

    /**
     * Opens the warm-up: until {@link #closeWarmup()}, tokens signed by the returned minter (issuer
     * {@value #WARMUP_ISSUER}, subjects starting with {@value #WARMUP_SUBJECT}) are accepted as well. Its key is 32
     * random bytes made here and held only by the minter and this check, in memory; a token is tried against it only
     * after the configured verification refused it.
     */
    public TokenMinter openWarmup() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String key = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        warmup = new Hs256Verifier(key.getBytes(StandardCharsets.UTF_8), WARMUP_ISSUER, null, clock);
        return new TokenMinter(key, WARMUP_ISSUER, null, clock);
    }

    /** Ends the warm-up: its tokens are refused from now on, and the ones verified are dropped from the cache. */
    public void closeWarmup() {
        warmup = null;
        verified.removeIf(p -> p.userId().startsWith(WARMUP_SUBJECT));
    }

    private AuthResult reject(String client, AuthFailureLimit.Reason reason, String message) {
        failures.failed(client, reason);
        return new AuthResult.Rejected(message);
    }

    /** The cache key of a token: its SHA-256 digest, so the cache never holds a usable credential. */
    private static TokenDigest digest(String token) {
        return TokenDigest.of(SHA256.get().digest(token.getBytes(StandardCharsets.UTF_8)));
    }

    long cachedTokens() {
        return verified.size();
    }

    /** The keys the verified-token cache holds now: digests, never tokens. */
    Set<TokenDigest> cacheKeys() {
        return verified.digests();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        failures.bindTo(registry);
        if (jwks != null) {
            jwks.bindTo(registry);
        }
    }
}

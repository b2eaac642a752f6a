package com.dbmetrics.api.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Verifies bearer JWTs with pinned algorithms (HS256 with a shared secret, or RS256/ES256 with keys from a JWKS file):
 * signature, {@code exp} (required), {@code nbf}, and {@code iss}/{@code aud} when configured. Verified tokens are
 * cached until they expire (bounded), so signature checks stay off the hot path.
 */
public final class JwtAuthenticator {

    private static final int MAX_CACHED_TOKENS = 100_000;
    private static final long MAX_CACHE_NANOS = 5L * 60 * 1_000_000_000;

    private final DefaultJWTProcessor<SecurityContext> processor;
    private final Cache<String, Verified> verified;
    private final Clock clock;

    private record Verified(Principal principal, long expiresAtMillis) {}

    private JwtAuthenticator(DefaultJWTProcessor<SecurityContext> processor, Clock clock, Ticker ticker) {
        this.processor = processor;
        this.clock = clock;
        this.verified = Caffeine.newBuilder()
                .maximumSize(MAX_CACHED_TOKENS)
                .ticker(ticker)
                .expireAfter(new Expiry<String, Verified>() {
                    @Override
                    public long expireAfterCreate(String token, Verified v, long currentTime) {
                        long left = (v.expiresAtMillis() - clock.millis()) * 1_000_000;
                        return Math.max(0, Math.min(left, MAX_CACHE_NANOS));
                    }

                    @Override
                    public long expireAfterUpdate(String token, Verified v, long currentTime, long currentDuration) {
                        return currentDuration;
                    }

                    @Override
                    public long expireAfterRead(String token, Verified v, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    public static JwtAuthenticator hmac(String secret, String issuer, String audience, Clock clock, Ticker ticker) {
        return create(new JWSVerificationKeySelector<>(JWSAlgorithm.HS256,
                new ImmutableSecret<>(secret.getBytes(StandardCharsets.UTF_8))), issuer, audience, clock, ticker);
    }

    public static JwtAuthenticator jwks(Path jwksFile, String issuer, String audience, Clock clock, Ticker ticker)
            throws IOException, ParseException {
        JWKSet keys = JWKSet.parse(Files.readString(jwksFile));
        return create(new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256),
                new ImmutableJWKSet<>(keys)), issuer, audience, clock, ticker);
    }

    private static JwtAuthenticator create(JWSVerificationKeySelector<SecurityContext> keys, String issuer,
            String audience, Clock clock, Ticker ticker) {
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(keys);
        JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
        if (issuer != null) {
            exact.issuer(issuer);
        }
        Set<String> required = new HashSet<>(List.of(Claims.SUBJECT, Claims.EXPIRES));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                audience == null ? null : Set.of(audience), exact.build(), required, null) {
            @Override
            protected Date currentTime() {
                return Date.from(clock.instant());
            }
        };
        claims.setMaxClockSkew(30);
        processor.setJWTClaimsSetVerifier(claims);
        return new JwtAuthenticator(processor, clock, ticker);
    }

    /** Checks an {@code Authorization} header value. */
    public AuthResult authenticate(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return new AuthResult.Rejected("Missing bearer token");
        }
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return new AuthResult.Rejected("Authorization must be a Bearer token");
        }
        String token = authorization.substring(7).trim();
        if (token.isEmpty() || token.length() > 8192) {
            return new AuthResult.Rejected("Invalid bearer token");
        }
        Verified cached = verified.getIfPresent(token);
        if (cached != null && cached.expiresAtMillis() > clock.millis()) {
            return new AuthResult.Authenticated(cached.principal());
        }
        try {
            JWTClaimsSet claims = processor.process(token, null);
            Principal principal = new Principal(claims.getSubject(), stringList(claims, Claims.TENANTS),
                    new HashSet<>(stringList(claims, Claims.ROLES)));
            verified.put(token, new Verified(principal, claims.getExpirationTime().getTime()));
            return new AuthResult.Authenticated(principal);
        } catch (ParseException | BadJOSEException | JOSEException | RuntimeException e) {
            return new AuthResult.Rejected("Invalid or expired token");
        }
    }

    private static List<String> stringList(JWTClaimsSet claims, String name) throws ParseException {
        Object value = claims.getClaim(name);
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list)) {
            throw new ParseException(name + " must be a list of strings", 0);
        }
        List<String> out = new ArrayList<>(list.size());
        for (Object item : list) {
            if (!(item instanceof String s)) {
                throw new ParseException(name + " must be a list of strings", 0);
            }
            out.add(s);
        }
        return out;
    }

    long cachedTokens() {
        return verified.estimatedSize();
    }
}

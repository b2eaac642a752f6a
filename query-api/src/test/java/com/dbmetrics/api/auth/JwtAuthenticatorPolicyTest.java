package com.dbmetrics.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.time.MutableClock;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the API adds to verification: failed checks bounded before the signature is looked at, the cache keyed by a
 * digest, the longest accepted token lifetime. Fake time.
 */
class JwtAuthenticatorPolicyTest {

    private static final String SECRET = "0123456789abcdef0123456789abcdef-policy";
    private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

    private final MutableClock clock = new MutableClock(NOW);
    private final AuthFailureLimit failures = new AuthFailureLimit(clock, clock::nanos, 2, 1000);
    private final JwtAuthenticator auth = JwtAuthenticator.hmac(SECRET, null, null, clock, clock::nanos)
            .limited(Duration.ofHours(24), failures);

    private static String sign(String secret, Instant issued, Instant expires) throws Exception {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject("alice")
                .claim("tenants", List.of("acme/shop")).expirationTime(Date.from(expires));
        if (issued != null) {
            claims.issueTime(Date.from(issued));
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
        jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    @Test
    void shouldRefuseUncheckedPastTheFailureBoundButKeepServingVerifiedTokens() throws Exception {
        String known = sign(SECRET, NOW, NOW.plusSeconds(600));
        assertThat(auth.authenticate("Bearer " + known, "10.0.0.1")).isInstanceOf(AuthResult.Authenticated.class);
        String forged = sign("another-secret-0123456789abcdef0123456789", NOW, NOW.plusSeconds(600));
        assertThat(auth.authenticate("Bearer " + forged, "10.0.0.1")).isInstanceOf(AuthResult.Rejected.class);
        assertThat(auth.authenticate("Bearer " + forged, "10.0.0.1")).isInstanceOf(AuthResult.Rejected.class);

        String valid = sign(SECRET, NOW, NOW.plusSeconds(300));
        // a valid token, never checked: refused all the same, so the refusal cannot have verified its signature
        assertThat(auth.authenticate("Bearer " + valid, "10.0.0.1")).isEqualTo(new AuthResult.Throttled(60));
        assertThat(auth.authenticate("Bearer " + known, "10.0.0.1")).as("already verified: a digest look-up")
                .isInstanceOf(AuthResult.Authenticated.class);
        assertThat(auth.authenticate("Bearer " + valid, "10.0.0.2")).as("another client")
                .isInstanceOf(AuthResult.Authenticated.class);

        clock.advance(Duration.ofMinutes(1));
        assertThat(auth.authenticate("Bearer " + valid, "10.0.0.1")).isInstanceOf(AuthResult.Authenticated.class);
        assertThat(failures.failures(AuthFailureLimit.Reason.INVALID)).isEqualTo(2);
        assertThat(failures.throttled()).isEqualTo(1);
    }

    @Test
    void shouldKeyTheCacheByTheTokensDigestNotTheToken() throws Exception {
        String token = sign(SECRET, NOW, NOW.plusSeconds(600));
        auth.authenticate("Bearer " + token, "10.0.0.1");

        assertThat(auth.cacheKeys()).hasSize(1);
        JwtAuthenticator.TokenDigest key = auth.cacheKeys().iterator().next();
        byte[] sha256 = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        assertThat(key).isEqualTo(JwtAuthenticator.TokenDigest.of(sha256));
        // 32 bytes of digest, nothing of the token itself
        ByteBuffer held = ByteBuffer.allocate(32).putLong(key.a()).putLong(key.b()).putLong(key.c()).putLong(key.d());
        assertThat(new String(held.array(), StandardCharsets.ISO_8859_1)).doesNotContain(token.substring(0, 16));
    }

    @Test
    void shouldRefuseATokenLivingLongerThanTheMaximum() throws Exception {
        String tooLong = sign(SECRET, NOW, NOW.plus(Duration.ofHours(25)));
        String tooLongWithoutIat = sign(SECRET, null, NOW.plus(Duration.ofHours(25)));
        String justRight = sign(SECRET, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofHours(23)));

        assertThat(auth.authenticate("Bearer " + tooLong, "c")).isInstanceOf(AuthResult.Rejected.class);
        assertThat(auth.authenticate("Bearer " + tooLongWithoutIat, "c")).isInstanceOf(AuthResult.Rejected.class);
        assertThat(failures.failures(AuthFailureLimit.Reason.LIFETIME)).isEqualTo(2);
        JwtAuthenticator relaxed = JwtAuthenticator.hmac(SECRET, null, null, clock, clock::nanos)
                .limited(Duration.ofHours(48), AuthFailureLimit.unlimited(clock, clock::nanos));
        assertThat(relaxed.authenticate("Bearer " + tooLong, "c")).isInstanceOf(AuthResult.Authenticated.class);
        assertThat(auth.authenticate("Bearer " + justRight, "d")).isInstanceOf(AuthResult.Authenticated.class);
    }
}

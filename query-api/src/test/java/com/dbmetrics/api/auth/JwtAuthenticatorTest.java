package com.dbmetrics.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.time.MutableClock;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.PlainHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;

class JwtAuthenticatorTest {

    private static final String SECRET = "0123456789abcdef0123456789abcdef-test";
    private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

    private final MutableClock clock = new MutableClock(NOW);
    private final JwtAuthenticator auth = JwtAuthenticator.hmac(SECRET, "dbmetrics", null, clock, clock::nanos);

    private static JWTClaimsSet.Builder claims() {
        return new JWTClaimsSet.Builder().subject("alice").issuer("dbmetrics")
                .claim("tenants", List.of("acme/shop", "beta/*")).claim("roles", List.of("admin"))
                .expirationTime(Date.from(NOW.plusSeconds(300)));
    }

    private static String sign(JWTClaimsSet claims, JWSAlgorithm alg, String secret) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(alg), claims);
        jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    @Test
    void shouldAcceptValidTokenAndReadClaims() throws Exception {
        AuthResult result = auth.authenticate("Bearer " + sign(claims().build(), JWSAlgorithm.HS256, SECRET));

        assertThat(result).isInstanceOfSatisfying(AuthResult.Authenticated.class, ok -> {
            Principal p = ok.principal();
            assertThat(p.userId()).isEqualTo("alice");
            assertThat(p.canRead("acme", "shop")).isTrue();
            assertThat(p.canRead("acme", "blog")).isFalse();
            assertThat(p.canRead("beta", "anything")).isTrue();
            assertThat(p.isAdmin()).isTrue();
        });
    }

    @Test
    void shouldRejectEveryBadToken() throws Exception {
        List<String> bad = List.of(
                "",
                "Basic abc",
                "Bearer not.a.jwt",
                "Bearer " + sign(claims().build(), JWSAlgorithm.HS256, SECRET + "-other"),
                "Bearer " + sign(claims().build(), JWSAlgorithm.HS512, SECRET + SECRET),
                "Bearer " + new PlainJWT(new PlainHeader(), claims().build()).serialize(),
                "Bearer " + sign(claims().expirationTime(Date.from(NOW.minusSeconds(120))).build(), JWSAlgorithm.HS256, SECRET),
                "Bearer " + sign(claims().expirationTime(null).build(), JWSAlgorithm.HS256, SECRET),
                "Bearer " + sign(claims().notBeforeTime(Date.from(NOW.plusSeconds(600))).build(), JWSAlgorithm.HS256, SECRET),
                "Bearer " + sign(claims().issuer("someone-else").build(), JWSAlgorithm.HS256, SECRET),
                "Bearer " + sign(claims().subject(null).build(), JWSAlgorithm.HS256, SECRET),
                "Bearer " + sign(claims().claim("tenants", "acme/shop").build(), JWSAlgorithm.HS256, SECRET));

        for (String header : bad) {
            assertThat(auth.authenticate(header)).as(header).isInstanceOf(AuthResult.Rejected.class);
        }
        assertThat(auth.authenticate(null)).isInstanceOf(AuthResult.Rejected.class);
    }

    @Test
    void shouldCacheVerifiedTokensButNeverPastExpiry() throws Exception {
        String token = sign(claims().expirationTime(Date.from(NOW.plusSeconds(60))).build(), JWSAlgorithm.HS256, SECRET);
        auth.authenticate("Bearer " + token);
        auth.authenticate("Bearer " + token);
        assertThat(auth.cachedTokens()).isEqualTo(1);

        MutableClock moving = new MutableClock(NOW);
        JwtAuthenticator cached = JwtAuthenticator.hmac(SECRET, "dbmetrics", null, moving, moving::nanos);
        assertThat(cached.authenticate("Bearer " + token)).isInstanceOf(AuthResult.Authenticated.class);
        moving.advance(java.time.Duration.ofHours(1)); // the cached verification must not outlive exp
        assertThat(cached.authenticate("Bearer " + token)).isInstanceOf(AuthResult.Rejected.class);
    }

    @Test
    void shouldAcceptWarmupTokensOnlyWhileTheWarmupIsOpenAndForgetThemWhenItCloses() throws Exception {
        TokenMinter minter = auth.openWarmup();
        String warm = minter.mint(JwtAuthenticator.WARMUP_SUBJECT + "7", List.of("acme/shop"), false,
                Duration.ofMinutes(2));
        String notWarmupSubject = minter.mint("alice", List.of("acme/shop"), true, Duration.ofMinutes(2));

        assertThat(auth.authenticate("Bearer " + warm)).isInstanceOfSatisfying(AuthResult.Authenticated.class,
                ok -> assertThat(ok.principal().userId()).isEqualTo(JwtAuthenticator.WARMUP_SUBJECT + "7"));
        assertThat(auth.authenticate("Bearer " + notWarmupSubject)).as("the key signs warm-up users only")
                .isInstanceOf(AuthResult.Rejected.class);
        assertThat(auth.cachedTokens()).isEqualTo(1);

        auth.closeWarmup();
        assertThat(auth.cachedTokens()).as("its verified tokens are dropped").isZero();
        assertThat(auth.authenticate("Bearer " + warm)).isInstanceOf(AuthResult.Rejected.class);
        // a new warm-up has a new key: the old tokens stay refused
        auth.openWarmup();
        assertThat(auth.authenticate("Bearer " + warm)).isInstanceOf(AuthResult.Rejected.class);
        assertThat(auth.authenticate("Bearer " + sign(claims().build(), JWSAlgorithm.HS256, SECRET)))
                .as("the configured verification is unchanged").isInstanceOf(AuthResult.Authenticated.class);
    }
}

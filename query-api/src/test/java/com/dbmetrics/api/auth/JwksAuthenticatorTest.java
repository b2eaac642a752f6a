package com.dbmetrics.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.time.MutableClock;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwksAuthenticatorTest {

    private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

    @TempDir
    Path dir;
    private RSAKey rsa;
    private ECKey ec;
    private JwtAuthenticator auth;
    private MutableClock clock;
    private Path jwks;

    @BeforeEach
    void setUp() throws Exception {
        rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        jwks = dir.resolve("jwks.json");
        // the file holds public keys only, as an operator would publish them
        Files.writeString(jwks, new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK())).toString());
        clock = new MutableClock(NOW);
        auth = JwtAuthenticator.jwks(jwks, null, "dbmetrics-api", clock, clock::nanos);
    }

    private static JWTClaimsSet claims(String audience) {
        return new JWTClaimsSet.Builder().subject("svc").audience(audience).claim("tenants", List.of("acme/*"))
                .expirationTime(Date.from(NOW.plusSeconds(60))).build();
    }

    @Test
    void shouldAcceptRs256AndEs256FromTheJwksFile() throws Exception {
        SignedJWT rs = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1").build(),
                claims("dbmetrics-api"));
        rs.sign(new RSASSASigner(rsa));
        SignedJWT es = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("ec-1").build(),
                claims("dbmetrics-api"));
        es.sign(new ECDSASigner(ec));

        assertThat(auth.authenticate("Bearer " + rs.serialize())).isInstanceOf(AuthResult.Authenticated.class);
        assertThat(auth.authenticate("Bearer " + es.serialize())).isInstanceOf(AuthResult.Authenticated.class);
    }

    @Test
    void shouldRefuseWrongAudienceUnknownKeyAndHmacWithThePublicKey() throws Exception {
        SignedJWT wrongAudience = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1").build(),
                claims("someone-else"));
        wrongAudience.sign(new RSASSASigner(rsa));
        RSAKey stranger = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        SignedJWT unknownKey = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1").build(),
                claims("dbmetrics-api"));
        unknownKey.sign(new RSASSASigner(stranger));
        // the classic algorithm-confusion attack: HS256 keyed with the published public key
        SignedJWT confused = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims("dbmetrics-api"));
        confused.sign(new MACSigner(rsa.toPublicJWK().toRSAPublicKey().getEncoded()));

        assertThat(auth.authenticate("Bearer " + wrongAudience.serialize())).isInstanceOf(AuthResult.Rejected.class);
        assertThat(auth.authenticate("Bearer " + unknownKey.serialize())).isInstanceOf(AuthResult.Rejected.class);
        assertThat(auth.authenticate("Bearer " + confused.serialize())).isInstanceOf(AuthResult.Rejected.class);
    }

    private String rs256(RSAKey key) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
                claims("dbmetrics-api"));
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    @Test
    void shouldPickUpARotatedJwksFileAtMostOnceASecond() throws Exception {
        RSAKey next = new RSAKeyGenerator(2048).keyID("rsa-2").generate();
        Files.writeString(jwks, new JWKSet(List.of(next.toPublicJWK(), ec.toPublicJWK())).toString() + " ");

        assertThat(auth.authenticate("Bearer " + rs256(next))).as("not looked at within the second")
                .isInstanceOf(AuthResult.Rejected.class);
        clock.advance(Duration.ofSeconds(1));
        assertThat(auth.authenticate("Bearer " + rs256(next))).isInstanceOf(AuthResult.Authenticated.class);
        assertThat(auth.authenticate("Bearer " + rs256(rsa))).as("the retired key")
                .isInstanceOf(AuthResult.Rejected.class);
    }

    @Test
    void shouldKeepTheLoadedKeysWhenTheNewFileIsBrokenAndCountIt() throws Exception {
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        auth.bindTo(registry);
        Files.writeString(jwks, "{\"keys\": [ half a file");
        clock.advance(Duration.ofSeconds(1));

        assertThat(auth.authenticate("Bearer " + rs256(rsa))).isInstanceOf(AuthResult.Authenticated.class);
        clock.advance(Duration.ofSeconds(5));
        auth.authenticate("Bearer " + rs256(rsa) + "x");
        assertThat(registry.get("dbm_api_jwks_reload_failures").functionCounter().count())
                .as("once per version of the file").isEqualTo(1);
    }
}

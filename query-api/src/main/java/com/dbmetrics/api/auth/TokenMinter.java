package com.dbmetrics.api.auth;

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
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * Signs HS256 tokens that {@link JwtAuthenticator#hmac} accepts, for development and tests: {@code sub},
 * {@code tenants}, {@code roles}, {@code iat}, {@code exp}, and {@code iss}/{@code aud} when given.
 */
public final class TokenMinter {

    private final MACSigner signer;
    private final String issuer;
    private final String audience;
    private final Clock clock;

    /** {@code issuer} and {@code audience} may be null (the claim is left out). */
    public TokenMinter(String secret, String issuer, String audience, Clock clock) {
        try {
            this.signer = new MACSigner(secret.getBytes(StandardCharsets.UTF_8));
        } catch (JOSEException e) {
            throw new IllegalArgumentException("the HS256 secret must be at least 32 bytes", e);
        }
        this.issuer = issuer;
        this.audience = audience;
        this.clock = clock;
    }

    /** A token for {@code user}, reading {@code tenants}, with the admin role when {@code admin}, valid for {@code ttl}. */
    public String mint(String user, List<String> tenants, boolean admin, Duration ttl) {
        Instant now = Instant.ofEpochSecond(clock.instant().getEpochSecond());
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .claim(Claims.SUBJECT, user)
                .claim(Claims.TENANTS, List.copyOf(tenants))
                .claim(Claims.ROLES, admin ? List.of(Principal.ADMIN) : List.of())
                .claim(Claims.ISSUED_AT, Date.from(now))
                .claim(Claims.EXPIRES, Date.from(now.plus(ttl)));
        if (issuer != null) {
            claims.claim(Claims.ISSUER, issuer);
        }
        if (audience != null) {
            claims.claim(Claims.AUDIENCE, audience);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
                claims.build());
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a token", e);
        }
        return jwt.serialize();
    }
}

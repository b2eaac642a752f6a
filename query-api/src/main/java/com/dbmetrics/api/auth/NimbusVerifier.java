package com.dbmetrics.api.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Verification by Nimbus JOSE + JWT with pinned algorithms: the RS256/ES256 keys of a JWKS file (the general path),
 * and HS256 for {@code Hs256VerifierParityTest}, which holds {@link Hs256Verifier} to its answers. Claims: {@code sub}
 * and {@code exp} required, 30 s of clock skew, {@code iss} exact and {@code aud} when configured.
 */
final class NimbusVerifier implements TokenVerifier {

    private final DefaultJWTProcessor<SecurityContext> processor;

    private NimbusVerifier(DefaultJWTProcessor<SecurityContext> processor) {
        this.processor = processor;
    }

    static NimbusVerifier hs256(String secret, String issuer, String audience, Clock clock) {
        return create(new JWSVerificationKeySelector<>(JWSAlgorithm.HS256,
                new ImmutableSecret<>(secret.getBytes(StandardCharsets.UTF_8))), issuer, audience, clock);
    }

    static NimbusVerifier create(JWSKeySelector<SecurityContext> keys, String issuer, String audience, Clock clock) {
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
        claims.setMaxClockSkew((int) (Hs256Verifier.CLOCK_SKEW_MILLIS / 1000));
        processor.setJWTClaimsSetVerifier(claims);
        return new NimbusVerifier(processor);
    }

    @Override
    public Verified verify(String token) throws InvalidToken {
        try {
            JWTClaimsSet claims = processor.process(token, null);
            Date issued = claims.getIssueTime();
            return new Verified(claims.getSubject(), stringList(claims, Claims.TENANTS),
                    stringList(claims, Claims.ROLES), claims.getExpirationTime().getTime(),
                    issued == null ? null : issued.getTime());
        } catch (ParseException | BadJOSEException | JOSEException | RuntimeException e) {
            throw new InvalidToken(e.getClass().getSimpleName());
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
}

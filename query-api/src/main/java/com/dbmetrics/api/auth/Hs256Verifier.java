package com.dbmetrics.api.auth;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HS256 compact JWS verification without a general JOSE library: the signature first (HMAC-SHA256 over the signing
 * input, compared in constant time), then the header ({@code alg} must be {@code HS256}: the algorithm is pinned;
 * {@code typ} absent or {@code JWT}; no {@code crit}, no unencoded payload), then the claims the API reads, with the
 * rules of Nimbus' {@code DefaultJWTClaimsVerifier} as {@link JwtAuthenticator} configured it before: {@code exp} and
 * {@code sub} required, {@code exp} and {@code nbf} with 30 s of clock skew, {@code iss} exact and {@code aud} one of
 * the accepted when configured; unknown claims ignored, duplicate names refused. {@code Hs256VerifierParityTest}
 * holds it to Nimbus' answers.
 *
 * <p>Why: every request of a user not in the token cache pays it; with a million users that is nearly every request.
 * Nimbus allocated about a third of the API's garbage at 1,000,000 users (a 1 KB parser buffer per JSON object, maps,
 * dates); this reads the claims with one streaming parser and a thread's own {@link Mac}.
 */
final class Hs256Verifier implements TokenVerifier {

    static final long CLOCK_SKEW_MILLIS = 30_000;
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final Base64.Decoder BASE64URL = Base64.getUrlDecoder();

    private final ThreadLocal<Mac> mac;
    private final String issuer;
    private final String audience;
    private final Clock clock;

    Hs256Verifier(byte[] secret, String issuer, String audience, Clock clock) {
        SecretKeySpec key = new SecretKeySpec(secret, "HmacSHA256");
        this.mac = ThreadLocal.withInitial(() -> {
            try {
                Mac m = Mac.getInstance("HmacSHA256");
                m.init(key);
                return m;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("every JVM has HmacSHA256", e);
            }
        });
        this.issuer = issuer;
        this.audience = audience;
        this.clock = clock;
    }

    @Override
    public Verified verify(String token) throws InvalidToken {
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (first <= 0 || second <= first + 1 || second == token.length() - 1 || token.indexOf('.', second + 1) >= 0) {
            throw new InvalidToken("not a compact JWS");
        }
        byte[] signingInput = new byte[second];
        for (int i = 0; i < second; i++) {
            char c = token.charAt(i);
            if (c > 0x7e) {
                throw new InvalidToken("not ASCII");
            }
            signingInput[i] = (byte) c;
        }
        byte[] signature = decode(token, second + 1, token.length());
        if (!MessageDigest.isEqual(mac.get().doFinal(signingInput), signature)) {
            throw new InvalidToken("bad signature");
        }
        checkHeader(decode(token, 0, first));
        return claims(decode(token, first + 1, second));
    }

    private static byte[] decode(String token, int from, int to) throws InvalidToken {
        try {
            return BASE64URL.decode(token.substring(from, to));
        } catch (IllegalArgumentException e) {
            throw new InvalidToken("not base64url");
        }
    }

    private static void checkHeader(byte[] json) throws InvalidToken {
        String alg = null;
        try (JsonParser p = JSON.createParser(json)) {
            expect(p.nextToken() == JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "alg" -> alg = text(p, value);
                    case "typ" -> expect(value == JsonToken.VALUE_NULL || "JWT".equals(text(p, value)));
                    case "crit", "b64" -> throw new InvalidToken("unsupported header " + name);
                    default -> p.skipChildren();
                }
            }
            expect(p.currentToken() == JsonToken.END_OBJECT && p.nextToken() == null);
        } catch (IOException e) {
            throw new InvalidToken("header is not JSON");
        }
        if (!"HS256".equals(alg)) {
            throw new InvalidToken("algorithm not accepted");
        }
    }

    private Verified claims(byte[] json) throws InvalidToken {
        String subject = null;
        String iss = null;
        List<String> aud = null;
        List<String> tenants = List.of();
        List<String> roles = List.of();
        Long exp = null;
        Long nbf = null;
        Long iat = null;
        try (JsonParser p = JSON.createParser(json)) {
            expect(p.nextToken() == JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (value == JsonToken.VALUE_NULL) {
                    continue; // a null claim is an absent claim
                }
                switch (name) {
                    case Claims.SUBJECT -> subject = scalar(p, value);
                    case Claims.ISSUER -> iss = scalar(p, value);
                    case Claims.AUDIENCE -> aud = value == JsonToken.START_ARRAY ? strings(p) : List.of(text(p, value));
                    case Claims.TENANTS -> tenants = strings(p);
                    case Claims.ROLES -> roles = strings(p);
                    case Claims.EXPIRES -> exp = epochMillis(p, value);
                    case "nbf" -> nbf = epochMillis(p, value);
                    case Claims.ISSUED_AT -> iat = epochMillis(p, value);
                    default -> p.skipChildren();
                }
            }
            expect(p.currentToken() == JsonToken.END_OBJECT && p.nextToken() == null);
        } catch (IOException e) {
            throw new InvalidToken("claims are not JSON");
        }
        long now = clock.millis();
        if (subject == null || exp == null) {
            throw new InvalidToken("missing required claims");
        }
        if (exp + CLOCK_SKEW_MILLIS <= now) {
            throw new InvalidToken("expired");
        }
        if (nbf != null && nbf - CLOCK_SKEW_MILLIS >= now) {
            throw new InvalidToken("not yet valid");
        }
        if (issuer != null && !issuer.equals(iss)) {
            throw new InvalidToken("issuer not accepted");
        }
        if (audience != null && (aud == null || !aud.contains(audience))) {
            throw new InvalidToken("audience not accepted");
        }
        return new Verified(subject, tenants, roles, exp, iat);
    }

    private static String text(JsonParser p, JsonToken value) throws IOException, InvalidToken {
        expect(value == JsonToken.VALUE_STRING);
        return p.getText();
    }

    /** A string claim, or a number's text, as Nimbus reads {@code sub} and {@code iss}. */
    private static String scalar(JsonParser p, JsonToken value) throws IOException, InvalidToken {
        if (value == JsonToken.VALUE_NUMBER_INT || value == JsonToken.VALUE_NUMBER_FLOAT) {
            return p.getText();
        }
        return text(p, value);
    }

    private static List<String> strings(JsonParser p) throws IOException, InvalidToken {
        expect(p.currentToken() == JsonToken.START_ARRAY);
        List<String> out = new ArrayList<>(2);
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            out.add(text(p, t));
        }
        return out;
    }

    /** A NumericDate (seconds since the epoch, possibly fractional) in ms, as Nimbus reads it. */
    private static long epochMillis(JsonParser p, JsonToken value) throws IOException, InvalidToken {
        expect(value == JsonToken.VALUE_NUMBER_INT || value == JsonToken.VALUE_NUMBER_FLOAT);
        // whole seconds, as Nimbus reads them (Number.longValue() × 1000)
        return (value == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : (long) p.getDoubleValue()) * 1000;
    }

    private static void expect(boolean condition) throws InvalidToken {
        if (!condition) {
            throw new InvalidToken("malformed");
        }
    }
}

package com.dbmetrics.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.time.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * {@link Hs256Verifier} answers every token as Nimbus' processor, configured as the API configured it before, answers
 * it: the same tokens accepted with the same claims, the same refused. Tokens are written by hand here (header and
 * claims as raw JSON), so malformed, unusual and hostile ones are covered, not only what a library would sign.
 */
class Hs256VerifierParityTest {

    private static final String SECRET = "parity-secret-0123456789abcdef0123456789";
    private static final long NOW = 1_800_000_000L; // seconds
    private final MutableClock clock = new MutableClock(Instant.ofEpochSecond(NOW));

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String sign(String headerJson, String claimsJson, String secret) throws Exception {
        String input = b64(headerJson) + "." + b64(claimsJson);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    }

    private static String sign(String headerJson, String claimsJson) throws Exception {
        return sign(headerJson, claimsJson, SECRET);
    }

    private static final String HS256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

    private static String claims(String extra) {
        return "{\"sub\":\"alice\",\"tenants\":[\"acme/shop\"],\"roles\":[],\"iat\":" + NOW + ",\"exp\":" + (NOW + 600)
                + ",\"iss\":\"dbmetrics-dev\"" + extra + "}";
    }

    private List<String> tokens() throws Exception {
        List<String> t = new ArrayList<>();
        t.add(sign(HS256, claims("")));
        t.add(sign("{\"alg\":\"HS256\"}", claims("")));                       // no typ
        t.add(sign("{\"typ\":\"jwt\",\"alg\":\"HS256\",\"kid\":\"k1\"}", claims(""))); // lower-case typ, a kid
        t.add(sign("{\"alg\":\"HS256\",\"typ\":\"JOSE\"}", claims("")));      // another typ
        t.add(sign("{\"alg\":\"HS384\",\"typ\":\"JWT\"}", claims("")));       // another algorithm, same MAC input
        t.add(sign("{\"alg\":\"none\"}", claims("")));
        t.add(sign("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", claims("")));
        t.add(sign("{\"alg\":\"HS256\",\"b64\":false,\"crit\":[\"b64\"]}", claims("")));
        t.add(sign(HS256, claims(""), SECRET + "x"));                         // wrong key
        t.add(sign(HS256, claims("")).replaceAll(".$", "A"));                 // signature altered
        t.add(sign(HS256, claims("")) + ".extra");
        t.add(sign(HS256, claims("")).substring(0, 20));
        t.add("a.b.c");
        t.add("..");
        t.add(sign(HS256, "{\"sub\":\"alice\",\"iss\":\"dbmetrics-dev\"}"));  // no exp
        t.add(sign(HS256, "{\"exp\":" + (NOW + 600) + ",\"iss\":\"dbmetrics-dev\"}")); // no sub
        t.add(sign(HS256, "{\"sub\":\"alice\",\"exp\":" + (NOW - 29) + ",\"iss\":\"dbmetrics-dev\"}")); // in skew
        t.add(sign(HS256, "{\"sub\":\"alice\",\"exp\":" + (NOW - 31) + ",\"iss\":\"dbmetrics-dev\"}")); // expired
        t.add(sign(HS256, claims(",\"nbf\":" + (NOW + 29))));                 // not before, within skew
        t.add(sign(HS256, claims(",\"nbf\":" + (NOW + 31))));                 // not yet valid
        t.add(sign(HS256, "{\"sub\":\"alice\",\"exp\":" + (NOW + 600) + ".9,\"iss\":\"dbmetrics-dev\"}")); // fraction
        t.add(sign(HS256, "{\"sub\":\"alice\",\"exp\":\"" + (NOW + 600) + "\",\"iss\":\"dbmetrics-dev\"}")); // string
        t.add(sign(HS256, "{\"sub\":\"alice\",\"exp\":" + (NOW + 600) + "}")); // no issuer
        t.add(sign(HS256, "{\"sub\":\"alice\",\"exp\":" + (NOW + 600) + ",\"iss\":\"evil\"}"));
        t.add(sign(HS256, claims(",\"aud\":\"dbmetrics\"")));
        t.add(sign(HS256, claims(",\"aud\":[\"other\",\"dbmetrics\"]")));
        t.add(sign(HS256, claims(",\"aud\":\"other\"")));
        t.add(sign(HS256, "{\"sub\":7,\"exp\":" + (NOW + 600) + ",\"iss\":\"dbmetrics-dev\"}")); // sub a number
        t.add(sign(HS256, "{\"sub\":true,\"exp\":" + (NOW + 600) + ",\"iss\":\"dbmetrics-dev\"}"));
        t.add(sign(HS256, "{\"sub\":[\"a\"],\"exp\":" + (NOW + 600) + ",\"iss\":\"dbmetrics-dev\"}"));
        t.add(sign(HS256, "{\"sub\":\"alice\",\"tenants\":\"acme/shop\",\"exp\":" + (NOW + 600)
                + ",\"iss\":\"dbmetrics-dev\"}"));                               // tenants not a list
        t.add(sign(HS256, "{\"sub\":\"alice\",\"tenants\":[\"acme/shop\",3],\"exp\":" + (NOW + 600)
                + ",\"iss\":\"dbmetrics-dev\"}"));                               // a tenant not a string
        t.add(sign(HS256, "{\"sub\":\"alice\",\"tenants\":null,\"roles\":[\"admin\"],\"extra\":{\"a\":[1,{}]},"
                + "\"exp\":" + (NOW + 600) + ",\"iss\":\"dbmetrics-dev\"}"));    // null claim, nested unknown claim
        t.add(sign(HS256, "[1,2]"));
        t.add(sign(HS256, "not json"));
        t.add(sign("not json", claims("")));
        t.add(sign(HS256, claims("") + "{}"));                                // trailing data
        return t;
    }

    private static String answer(TokenVerifier verifier, String token) {
        try {
            TokenVerifier.Verified v = verifier.verify(token);
            return "accepted " + v.subject() + " " + v.tenants() + " " + v.roles() + " " + v.expiresAtMillis() + " "
                    + v.issuedAtMillis();
        } catch (TokenVerifier.InvalidToken e) {
            return "refused";
        }
    }

    @Test
    void shouldAnswerEveryTokenAsNimbusDoes() throws Exception {
        for (String audience : new String[] {null, "dbmetrics"}) {
            TokenVerifier ours = new Hs256Verifier(SECRET.getBytes(StandardCharsets.UTF_8), "dbmetrics-dev", audience,
                    clock);
            TokenVerifier nimbus = NimbusVerifier.hs256(SECRET, "dbmetrics-dev", audience, clock);
            int accepted = 0;
            for (String token : tokens()) {
                String expected = answer(nimbus, token);
                assertThat(answer(ours, token)).as("audience %s, token %s", audience, token).isEqualTo(expected);
                accepted += expected.startsWith("accepted") ? 1 : 0;
            }
            assertThat(accepted).as("the set holds valid tokens too").isGreaterThanOrEqualTo(audience == null ? 8 : 2);
        }
    }
}

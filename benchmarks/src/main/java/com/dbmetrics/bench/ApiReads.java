package com.dbmetrics.bench;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A view is one authenticated read of the query API's metrics endpoint: a database chosen by Zipf popularity, then a
 * random user of that database's project, with that user's own HS256 token (claims {@code sub}, {@code tenants},
 * {@code roles}, {@code iat}, {@code exp}, {@code iss}, as {@code ./dbm token} writes them).
 *
 * <p>A user's token is the same on every request (the same claims, {@code iat} and {@code exp} for the whole run, and
 * across runs when they are given the same issue time: {@code OpenLoopLoad --token-iat}), as a dashboard holds one
 * token for its session; the API may therefore cache what it verified per token, and does. Up to
 * {@value #PRE_MINTED_USERS} users' headers are minted before the run (~300 bytes each, ~30 MB at most: the hot loop
 * only copies bytes); with more users each header is minted when a request needs it (HMAC-SHA256 over ~250 bytes and
 * two Base64 encodings: a few microseconds on the I/O thread, visible in the generator's lag and CPU figures), so a
 * million users do not need 300 MB of tokens in the generator's heap.
 */
final class ApiReads implements Workload {

    /** Above this many users, tokens are minted per request instead of held. */
    static final int PRE_MINTED_USERS = 100_000;

    private final ReadTargets targets;
    private final byte[][] requestLines;
    private final byte[][] authorizations; // null: minted on demand
    private final byte[] trailer;
    private final Mac mac;
    private final String issuer;
    private final long issuedAtEpochSecond;
    private final long expiresAtEpochSecond;

    ApiReads(ReadTargets targets, String hostPort, String secret, String issuer, long issuedAtEpochSecond,
            long expiresAtEpochSecond) {
        this.targets = targets;
        List<ReadTargets.Database> dbs = targets.databases();
        requestLines = new byte[dbs.size()][];
        for (int i = 0; i < dbs.size(); i++) {
            ReadTargets.Database db = dbs.get(i);
            requestLines[i] = ascii("GET /api/v1/domain/" + db.domain() + "/project/" + db.project() + "/databases/"
                    + db.id() + "/metrics HTTP/1.1\r\n");
        }
        this.mac = hmac(secret);
        this.issuer = issuer;
        this.issuedAtEpochSecond = issuedAtEpochSecond;
        this.expiresAtEpochSecond = expiresAtEpochSecond;
        if (targets.users() <= PRE_MINTED_USERS) {
            authorizations = new byte[targets.users()][];
            for (int u = 0; u < authorizations.length; u++) {
                authorizations[u] = authorization(u);
            }
        } else {
            authorizations = null;
        }
        trailer = ascii("Host: " + hostPort + "\r\nUser-Agent: dbm-open-loop\r\n\r\n");
    }

    @Override
    public byte[][] next(SplittableRandom random) {
        int db = targets.pick(random);
        int user = targets.readerOf(db, random);
        byte[] line = requestLines[db];
        byte[] auth = authorizations != null ? authorizations[user] : authorization(user);
        byte[] request = new byte[line.length + auth.length + trailer.length];
        System.arraycopy(line, 0, request, 0, line.length);
        System.arraycopy(auth, 0, request, line.length, auth.length);
        System.arraycopy(trailer, 0, request, line.length + auth.length, trailer.length);
        return new byte[][] {request};
    }

    @Override
    public String describe() {
        return "one GET of /api/v1/domain/{domain}/project/{project}/databases/{id}/metrics with the user's JWT ("
                + (authorizations != null ? "pre-minted" : "minted per request") + ", iat " + issuedAtEpochSecond
                + ")";
    }

    /** The {@code Authorization} header line of user {@code u}: the same bytes whenever it is asked for. */
    private byte[] authorization(int u) {
        String claims = "{\"sub\":\"user-" + u + "\",\"tenants\":[\"" + targets.tenantOf(u) + "\"],\"roles\":[],"
                + "\"iat\":" + issuedAtEpochSecond + ",\"exp\":" + expiresAtEpochSecond
                + (issuer.isEmpty() ? "" : ",\"iss\":\"" + issuer + "\"") + "}";
        return ascii("Authorization: Bearer " + token(mac, claims) + "\r\n");
    }

    static String token(Mac mac, String claims) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String input = b64.encodeToString(ascii("{\"alg\":\"HS256\",\"typ\":\"JWT\"}")) + "."
                + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
        return input + "." + b64.encodeToString(mac.doFinal(ascii(input)));
    }

    static Mac hmac(String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}

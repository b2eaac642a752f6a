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
 */
final class ApiReads implements Workload {

    private final ReadTargets targets;
    private final byte[][] requestLines;
    private final byte[][] authorizations;
    private final byte[] trailer;

    ApiReads(ReadTargets targets, String hostPort, String secret, String issuer, long expiresAtEpochSecond) {
        this.targets = targets;
        List<ReadTargets.Database> dbs = targets.databases();
        requestLines = new byte[dbs.size()][];
        for (int i = 0; i < dbs.size(); i++) {
            ReadTargets.Database db = dbs.get(i);
            requestLines[i] = ascii("GET /api/v1/domain/" + db.domain() + "/project/" + db.project() + "/databases/"
                    + db.id() + "/metrics HTTP/1.1\r\n");
        }
        long now = System.currentTimeMillis() / 1000;
        Mac mac = hmac(secret);
        authorizations = new byte[targets.users()][];
        for (int u = 0; u < authorizations.length; u++) {
            String claims = "{\"sub\":\"user-" + u + "\",\"tenants\":[\"" + targets.tenantOf(u) + "\"],\"roles\":[],"
                    + "\"iat\":" + now + ",\"exp\":" + expiresAtEpochSecond
                    + (issuer.isEmpty() ? "" : ",\"iss\":\"" + issuer + "\"") + "}";
            authorizations[u] = ascii("Authorization: Bearer " + token(mac, claims) + "\r\n");
        }
        trailer = ascii("Host: " + hostPort + "\r\nUser-Agent: dbm-open-loop\r\n\r\n");
    }

    @Override
    public byte[][] next(SplittableRandom random) {
        int db = targets.pick(random);
        int user = targets.readerOf(db, random);
        byte[] line = requestLines[db];
        byte[] auth = authorizations[user];
        byte[] request = new byte[line.length + auth.length + trailer.length];
        System.arraycopy(line, 0, request, 0, line.length);
        System.arraycopy(auth, 0, request, line.length, auth.length);
        System.arraycopy(trailer, 0, request, line.length + auth.length, trailer.length);
        return new byte[][] {request};
    }

    @Override
    public String describe() {
        return "one GET of /api/v1/domain/{domain}/project/{project}/databases/{id}/metrics with the user's JWT";
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

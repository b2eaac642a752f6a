package com.dbmetrics.api.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.api.QueryApi;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Thousands of malformed requests (paths, headers, tokens, PromQL and Prometheus API parameters) over raw sockets
 * against the API on the real Redis: never a 5xx, never internal text. Seeded, so a failure replays.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FuzzIT {

    private static final List<String> FORBIDDEN = List.of("Exception", "exception", "at com.", "at java.", "jedis",
            "Jedis", "redis.clients", "kafka", "nimbus", "127.0.0.1", "Caused by", "jetty", "Jetty", "javalin");

    private QueryApi api;
    private String token;

    @BeforeAll
    void start() throws Exception {
        api = ApiFixture.start(Map.of("METRICS_RATE_LIMIT_PER_USER", "1000000"));
        token = ApiFixture.token("fuzzer", "acme/shop");
        try (redis.clients.jedis.JedisPooled redis = ApiFixture.seedingRedis()) {
            ApiFixture.seed(redis, "db-1", "shop", ApiFixture.now().plusSeconds(3600), true); // fresh for the whole run
        }
    }

    @AfterAll
    void stop() {
        api.close();
    }

    @Test
    void shouldNeverAnswer5xxNorLeakInternals() throws Exception {
        Random random = new Random(20261125);
        List<String> failures = new ArrayList<>();
        int requests = 3000;
        for (int i = 0; i < requests; i++) {
            String request = malformed(random, i);
            String response = send(request);
            int status = status(response);
            // junk that happens to be a valid PromQL query needs the streams-app, which this API is not given: the
            // typed 503 of Prometheus' envelope is its right answer
            boolean promUnavailable = request.startsWith("GET /prometheus/") && status == 503
                    && response.contains("{\"status\":\"error\",\"errorType\":\"unavailable\"");
            if ((status >= 500 && !promUnavailable) || status == 0 || FORBIDDEN.stream().anyMatch(response::contains)) {
                // the same request again tells a deterministic defect from a transient one in the report
                String again = send(request);
                failures.add(status + " for request " + i + ": " + request.lines().findFirst().orElse("") + " -> "
                        + response.substring(0, Math.min(300, response.length())) + " (sent again: "
                        + again.substring(0, Math.min(120, again.length())) + ")");
            }
        }
        assertThat(failures).as("of %d malformed requests", requests).isEmpty();
    }

    private String malformed(Random r, int i) {
        String junk = junk(r, 1 + r.nextInt(300));
        String validPath = ApiFixture.metricsPath("shop", "db-1");
        return switch (i % 12) {
            case 0 -> get("/api/v1/domain/" + junk + "/project/shop/databases/db/metrics", bearer(token));
            case 1 -> get("/api/v1/domain/acme/project/shop/databases/" + junk + "/metrics", bearer(token));
            case 2 -> get(validPath, "Authorization: Bearer " + junk + "\r\n");
            case 3 -> get(validPath, "Authorization: " + junk + "\r\n");
            case 4 -> get(validPath, "Authorization: Bearer " + mangle(r, token) + "\r\n");
            case 5 -> get("/" + junk, bearer(token));
            case 6 -> get(validPath + "?fields=" + junk + "&limit=" + junk, bearer(token));
            case 7 -> get("/api/v1/domain/acme/project/shop/databases?limit=" + junk + "&cursor=" + junk, bearer(token));
            case 8 -> get(validPath, bearer(token) + "X-Junk: " + "x".repeat(1000 + r.nextInt(20_000)) + "\r\n");
            case 10 -> get("/prometheus/api/v1/query?query=" + junk, bearer(token));
            case 11 -> get("/prometheus/api/v1/query_range?query=dbmetrics_connections%7Bproject%3D~%22" + junk
                    + "%22%7D&start=" + junk + "&end=1&step=" + junk, r.nextBoolean() ? bearer(token)
                    : "Authorization: Basic " + junk + "\r\n");
            default -> get("/api/v1/domain/acme/project/shop/databases/" + "a".repeat(129 + r.nextInt(9000))
                    + "/metrics", bearer(token));
        };
    }

    private static String bearer(String token) {
        return "Authorization: Bearer " + token + "\r\n";
    }

    private static String get(String target, String headers) {
        return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + headers + "Connection: close\r\n\r\n";
    }

    /**
     * URL-ish junk: printable ASCII, percent escapes (some invalid), dots and slashes. No '?' or '#': those would turn a
     * junk path into a well-formed request for another route (say, a valid project listing).
     */
    private static String junk(Random r, int length) {
        String alphabet = "abcXYZ019._-~%/\\:;@!$&'()*+,=[]{}<>\"|^`é";
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            char c = alphabet.charAt(r.nextInt(alphabet.length()));
            if (c == '%' && r.nextBoolean()) {
                s.append('%').append(Integer.toHexString(r.nextInt(256)));
            } else {
                s.append(c);
            }
        }
        return s.toString();
    }

    private static String mangle(Random r, String token) {
        char[] chars = token.toCharArray();
        chars[r.nextInt(chars.length)] = (char) ('A' + r.nextInt(26));
        return new String(chars);
    }

    private String send(String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", api.port())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static int status(String response) {
        if (!response.startsWith("HTTP/1.1 ")) {
            return 0;
        }
        return Integer.parseInt(response.substring(9, 12));
    }
}

package com.dbmetrics.poller.prometheus;

import com.dbmetrics.schemas.config.ConfigException;
import com.dbmetrics.schemas.config.Env;
import com.dbmetrics.schemas.config.PemTrust;
import com.dbmetrics.schemas.config.Secret;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * How the poller presents itself to Prometheus (or a Mimir, Cortex or Thanos in front of it): HTTP basic auth
 * ({@value #PROMETHEUS_USERNAME} with {@value #PROMETHEUS_PASSWORD_FILE} or {@value #PROMETHEUS_PASSWORD}), or a bearer
 * token read from {@value #PROMETHEUS_BEARER_TOKEN_FILE} and re-read when the file changes (Kubernetes rotates
 * projected tokens), never both; extra headers from {@value #PROMETHEUS_HEADERS} ({@code Name=value,Name=value}, e.g.
 * {@code X-Scope-OrgID=acme}); and {@value #PROMETHEUS_CA_FILE}, the PEM CA certificates an {@code https} Prometheus
 * is checked against (else the JVM's). {@link #toString()} shows no secret and no header value.
 */
public record PrometheusAuth(String username, Secret password, Path bearerTokenFile, Map<String, String> headers,
        Path caFile) {

    /** User of HTTP basic auth; needs a password. */
    public static final String PROMETHEUS_USERNAME = "PROMETHEUS_USERNAME";
    /** File holding the basic-auth password (preferred to {@link #PROMETHEUS_PASSWORD}). */
    public static final String PROMETHEUS_PASSWORD_FILE = "PROMETHEUS_PASSWORD_FILE";
    /** The basic-auth password itself, when no file is given. */
    public static final String PROMETHEUS_PASSWORD = "PROMETHEUS_PASSWORD";
    /** File holding a bearer token, re-read when it changes; excludes basic auth. */
    public static final String PROMETHEUS_BEARER_TOKEN_FILE = "PROMETHEUS_BEARER_TOKEN_FILE";
    /** Extra request headers, comma-separated {@code Name=value}. */
    public static final String PROMETHEUS_HEADERS = "PROMETHEUS_HEADERS";
    /** PEM CA certificates of an https Prometheus. */
    public static final String PROMETHEUS_CA_FILE = "PROMETHEUS_CA_FILE";

    /** Headers the HTTP client sets itself or that the credentials above own. */
    private static final Set<String> RESERVED = Set.of("authorization", "connection", "content-length", "expect",
            "host", "upgrade", "content-type");

    public PrometheusAuth {
        if (username != null && password == null) {
            throw new ConfigException(PROMETHEUS_USERNAME + " is set but neither " + PROMETHEUS_PASSWORD_FILE + " nor "
                    + PROMETHEUS_PASSWORD + " is");
        }
        if (password != null && username == null) {
            throw new ConfigException(password.source() + " is set but " + PROMETHEUS_USERNAME + " is not");
        }
        if (username != null && bearerTokenFile != null) {
            throw new ConfigException("set either " + PROMETHEUS_USERNAME + " (basic auth) or "
                    + PROMETHEUS_BEARER_TOKEN_FILE + ", not both");
        }
        headers = Map.copyOf(headers);
        for (String name : headers.keySet()) {
            if (!name.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+") || RESERVED.contains(name.toLowerCase(Locale.ROOT))) {
                throw new ConfigException(PROMETHEUS_HEADERS + " may not set header \"" + name + "\"");
            }
        }
    }

    /** No credentials, headers or CA: Prometheus as the local stack runs it without security. */
    public static PrometheusAuth none() {
        return new PrometheusAuth(null, null, null, Map.of(), null);
    }

    public static PrometheusAuth fromEnv(Env env) {
        Path tokenFile = PemTrust.existingFile(env, PROMETHEUS_BEARER_TOKEN_FILE);
        if (tokenFile != null) {
            Secret.of(Secret.readFile(PROMETHEUS_BEARER_TOKEN_FILE, tokenFile), PROMETHEUS_BEARER_TOKEN_FILE);
        }
        return new PrometheusAuth(env.string(PROMETHEUS_USERNAME, null), Secret.fromEnv(env, PROMETHEUS_PASSWORD),
                tokenFile, parseHeaders(env.string(PROMETHEUS_HEADERS, null)),
                PemTrust.existingFile(env, PROMETHEUS_CA_FILE));
    }

    /** {@code Name=value,Name=value}; the message names the variable and the header, never a value. */
    static Map<String, String> parseHeaders(String value) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (value == null) {
            return headers;
        }
        int n = 0;
        for (String pair : value.split(",")) {
            n++;
            int eq = pair.indexOf('=');
            if (eq <= 0 || pair.substring(eq + 1).isBlank()) {
                throw new ConfigException(PROMETHEUS_HEADERS + " must be comma-separated Name=value pairs but pair " + n
                        + " is not");
            }
            String name = pair.substring(0, eq).trim();
            String headerValue = pair.substring(eq + 1).trim();
            if (headerValue.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new ConfigException(PROMETHEUS_HEADERS + " value of " + name + " holds a control character");
            }
            if (headers.put(name, headerValue) != null) {
                throw new ConfigException(PROMETHEUS_HEADERS + " names " + name + " twice");
            }
        }
        return headers;
    }

    /** A client builder trusting {@link #caFile()} when set (else the JVM's CAs). */
    public HttpClient.Builder httpClient() {
        HttpClient.Builder builder = HttpClient.newBuilder();
        if (caFile != null) {
            builder.sslContext(PemTrust.sslContext(PROMETHEUS_CA_FILE, caFile));
        }
        return builder;
    }

    /**
     * The headers of each request: the extra ones and the {@code Authorization} of the credentials; a bearer token
     * file is looked at again at most once a second of {@code clock} and re-read when its modification time or size
     * changed.
     */
    public Supplier<Map<String, String>> requestHeaders(Clock clock) {
        Map<String, String> fixed = new LinkedHashMap<>(headers);
        if (username != null) {
            fixed.put("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (username + ":" + password.reveal()).getBytes(StandardCharsets.UTF_8)));
        }
        if (bearerTokenFile == null) {
            Map<String, String> all = Map.copyOf(fixed);
            return () -> all;
        }
        BearerTokenFile token = new BearerTokenFile(bearerTokenFile, clock);
        return () -> {
            Map<String, String> all = new LinkedHashMap<>(fixed);
            all.put("Authorization", "Bearer " + token.current());
            return all;
        };
    }

    /** For start-up logs: which credentials and headers, no secret and no header value. */
    public String describe() {
        String credentials = username != null ? "basic auth as " + username
                : bearerTokenFile != null ? "bearer token from " + bearerTokenFile : "no credentials";
        return credentials + (headers.isEmpty() ? "" : ", headers " + headers.keySet())
                + (caFile == null ? "" : ", CA " + caFile);
    }

    @Override
    public String toString() {
        return "PrometheusAuth[" + describe() + "]";
    }
}

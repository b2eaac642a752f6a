package com.dbmetrics.poller.prometheus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Evaluates instant queries over Prometheus' HTTP API ({@code /api/v1/query}) at an explicit evaluation time, and
 * parses the vector answer strictly: anything but {@code status: success} with a vector result is an error, never a
 * number.
 */
public final class PrometheusClient {

    private final HttpClient http;
    private final URI baseUrl;
    private final ObjectMapper mapper;
    private final Duration timeout;
    private final int maxBodyBytes;

    /** Default cap on an answer's body: far above what engines × databases produce (about 200 bytes a series). */
    public static final int DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

    public PrometheusClient(HttpClient http, URI baseUrl, ObjectMapper mapper, Duration timeout) {
        this(http, baseUrl, mapper, timeout, DEFAULT_MAX_BODY_BYTES);
    }

    public PrometheusClient(HttpClient http, URI baseUrl, ObjectMapper mapper, Duration timeout, int maxBodyBytes) {
        if (maxBodyBytes <= 0) {
            throw new IllegalArgumentException("maxBodyBytes must be > 0 but was " + maxBodyBytes);
        }
        this.http = http;
        this.baseUrl = baseUrl;
        this.mapper = mapper;
        this.timeout = timeout;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** The instant vector of {@code promql} evaluated at {@code time}. */
    public List<Sample> query(String promql, Instant time) throws PrometheusException {
        String form = "query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)
                + "&time=" + formatTime(time);
        HttpRequest request = HttpRequest.newBuilder(baseUrl.resolve(baseUrl.getPath() + "/api/v1/query"))
                .timeout(timeout)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build();
        int status;
        byte[] body;
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            status = response.statusCode();
            try (InputStream in = response.body()) {
                body = in.readNBytes(maxBodyBytes + 1);
            }
        } catch (HttpTimeoutException e) {
            throw new PrometheusException(PrometheusException.Kind.TIMEOUT, "Prometheus query timed out after "
                    + timeout.toMillis() + " ms", e);
        } catch (IOException e) {
            throw new PrometheusException(PrometheusException.Kind.UNREACHABLE, "Prometheus unreachable: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PrometheusException(PrometheusException.Kind.UNREACHABLE, "interrupted", e);
        }
        if (body.length > maxBodyBytes) {
            throw new PrometheusException(PrometheusException.Kind.OVERSIZED, "Prometheus answer (HTTP " + status
                    + ") exceeds the cap of " + maxBodyBytes + " bytes", null);
        }
        return parse(status, body);
    }

    /** Parses an answer of {@code /api/v1/query}; package-private so the parser is tested on real and broken bodies. */
    List<Sample> parse(int status, byte[] body) throws PrometheusException {
        JsonNode root;
        try {
            root = mapper.readTree(body);
        } catch (IOException e) {
            throw new PrometheusException(status >= 400 ? PrometheusException.Kind.HTTP_ERROR
                    : PrometheusException.Kind.MALFORMED, "Prometheus answered HTTP " + status + " with no JSON body", e);
        }
        if (root == null || !root.isObject()) {
            throw new PrometheusException(PrometheusException.Kind.MALFORMED, "Prometheus answer is not a JSON object",
                    null);
        }
        if (!"success".equals(root.path("status").asText())) {
            String error = root.path("errorType").asText("") + ": " + root.path("error").asText("");
            throw new PrometheusException(status >= 500 || status == 0 ? PrometheusException.Kind.HTTP_ERROR
                    : PrometheusException.Kind.QUERY_ERROR, "Prometheus query failed (HTTP " + status + ") " + error,
                    null);
        }
        JsonNode data = root.path("data");
        if (!"vector".equals(data.path("resultType").asText()) || !data.path("result").isArray()) {
            throw new PrometheusException(PrometheusException.Kind.WRONG_TYPE,
                    "Prometheus answer is not an instant vector: resultType=" + data.path("resultType").asText(), null);
        }
        List<Sample> samples = new ArrayList<>(data.path("result").size());
        for (JsonNode element : data.path("result")) {
            samples.add(parseSample(element));
        }
        return samples;
    }

    private static Sample parseSample(JsonNode element) throws PrometheusException {
        JsonNode metric = element.path("metric");
        JsonNode value = element.path("value");
        if (!metric.isObject() || !value.isArray() || value.size() != 2 || !value.get(1).isTextual()) {
            throw new PrometheusException(PrometheusException.Kind.MALFORMED, "malformed vector element " + element,
                    null);
        }
        Map<String, String> labels = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = metric.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> label = it.next();
            labels.put(label.getKey(), label.getValue().asText());
        }
        return new Sample(labels, parseValue(value.get(1).asText(), value));
    }

    /** Prometheus writes special values as {@code NaN}, {@code +Inf}, {@code -Inf}; they parse, and the cycle refuses them. */
    private static double parseValue(String text, JsonNode value) throws PrometheusException {
        switch (text) {
            case "+Inf":
            case "Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            default:
                try {
                    return Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw new PrometheusException(PrometheusException.Kind.MALFORMED, "malformed sample value " + value,
                            e);
                }
        }
    }

    static String formatTime(Instant time) {
        long millis = time.toEpochMilli();
        return (millis / 1000) + "." + String.format("%03d", millis % 1000);
    }
}

package com.dbmetrics.poller.prometheus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

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
    private final Supplier<Map<String, String>> headers;

    /** Default cap on an answer's body: far above what engines × databases produce (about 200 bytes a series). */
    public static final int DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

    public PrometheusClient(HttpClient http, URI baseUrl, ObjectMapper mapper, Duration timeout) {
        this(http, baseUrl, mapper, timeout, DEFAULT_MAX_BODY_BYTES);
    }

    public PrometheusClient(HttpClient http, URI baseUrl, ObjectMapper mapper, Duration timeout, int maxBodyBytes) {
        this(http, baseUrl, mapper, timeout, maxBodyBytes, Map::of);
    }

    /** {@code headers} are asked for before each request: credentials and extra headers ({@link PrometheusAuth}). */
    public PrometheusClient(HttpClient http, URI baseUrl, ObjectMapper mapper, Duration timeout, int maxBodyBytes,
            Supplier<Map<String, String>> headers) {
        if (maxBodyBytes <= 0) {
            throw new IllegalArgumentException("maxBodyBytes must be > 0 but was " + maxBodyBytes);
        }
        this.http = http;
        this.baseUrl = baseUrl;
        this.mapper = mapper;
        this.timeout = timeout;
        this.maxBodyBytes = maxBodyBytes;
        this.headers = headers;
    }

    /** The instant vector of {@code promql} evaluated at {@code time}. */
    public List<Sample> query(String promql, Instant time) throws PrometheusException {
        Answer answer = post("/api/v1/query", "query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)
                + "&time=" + formatTime(time));
        return parse(answer.status(), answer.body());
    }

    /** One series of a range query: its labels and its points in time order. */
    public record Series(Map<String, String> labels, List<Point> points) {}

    /** A value at an evaluation time. */
    public record Point(Instant time, double value) {}

    /**
     * The range vector of {@code promql} evaluated at {@code start}, {@code start + step}, ... up to {@code end}: each
     * point is what an instant query at that time answers.
     */
    public List<Series> queryRange(String promql, Instant start, Instant end, java.time.Duration step)
            throws PrometheusException {
        Answer answer = post("/api/v1/query_range", "query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)
                + "&start=" + formatTime(start) + "&end=" + formatTime(end) + "&step=" + step.toMillis() / 1000.0);
        JsonNode result = data(answer.status(), answer.body(), "matrix");
        List<Series> series = new ArrayList<>(result.size());
        for (JsonNode element : result) {
            JsonNode values = element.path("values");
            if (!element.path("metric").isObject() || !values.isArray()) {
                throw new PrometheusException(PrometheusException.Kind.MALFORMED, "malformed matrix element", null);
            }
            List<Point> points = new ArrayList<>(values.size());
            for (JsonNode pair : values) {
                if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isNumber() || !pair.get(1).isTextual()) {
                    throw new PrometheusException(PrometheusException.Kind.MALFORMED, "malformed point " + pair, null);
                }
                points.add(new Point(Instant.ofEpochMilli(Math.round(pair.get(0).asDouble() * 1000)),
                        parseValue(pair.get(1).asText(), pair)));
            }
            series.add(new Series(labels(element.path("metric")), points));
        }
        return series;
    }

    private record Answer(int status, byte[] body) {}

    private Answer post(String path, String form) throws PrometheusException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(baseUrl.resolve(baseUrl.getPath() + path))
                .timeout(timeout)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        headers.get().forEach(builder::header);
        HttpRequest request = builder.build();
        int status;
        byte[] body;
        // the deadline covers the whole answer: the client's own request timeout ends with the headers, and a body
        // that stalls after them would otherwise hold this query (and its tick) for ever
        CompletableFuture<HttpResponse<byte[]>> sent = http.sendAsync(request, CappedBody.handler(maxBodyBytes));
        try {
            HttpResponse<byte[]> response = sent.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            status = response.statusCode();
            body = response.body();
        } catch (TimeoutException e) {
            sent.cancel(true);
            throw new PrometheusException(PrometheusException.Kind.TIMEOUT, "Prometheus gave no complete answer within "
                    + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HttpTimeoutException) {
                throw new PrometheusException(PrometheusException.Kind.TIMEOUT, "Prometheus query timed out after "
                        + timeout.toMillis() + " ms", cause);
            }
            throw new PrometheusException(PrometheusException.Kind.UNREACHABLE, "Prometheus unreachable: " + cause,
                    cause);
        } catch (InterruptedException e) {
            sent.cancel(true);
            Thread.currentThread().interrupt();
            throw new PrometheusException(PrometheusException.Kind.UNREACHABLE, "interrupted", e);
        }
        if (body.length > maxBodyBytes) {
            throw new PrometheusException(PrometheusException.Kind.OVERSIZED, "Prometheus answer (HTTP " + status
                    + ") exceeds the cap of " + maxBodyBytes + " bytes", null);
        }
        return new Answer(status, body);
    }

    /** Parses an answer of {@code /api/v1/query}; package-private so the parser is tested on real and broken bodies. */
    List<Sample> parse(int status, byte[] body) throws PrometheusException {
        JsonNode result = data(status, body, "vector");
        List<Sample> samples = new ArrayList<>(result.size());
        for (JsonNode element : result) {
            samples.add(parseSample(element));
        }
        return samples;
    }

    /** The {@code data.result} array of a successful answer of the expected result type; anything else throws. */
    private JsonNode data(int status, byte[] body, String resultType) throws PrometheusException {
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
        if (!resultType.equals(data.path("resultType").asText()) || !data.path("result").isArray()) {
            throw new PrometheusException(PrometheusException.Kind.WRONG_TYPE, "Prometheus answer is not a "
                    + resultType + ": resultType=" + data.path("resultType").asText(), null);
        }
        return data.path("result");
    }

    private static Sample parseSample(JsonNode element) throws PrometheusException {
        JsonNode metric = element.path("metric");
        JsonNode value = element.path("value");
        if (!metric.isObject() || !value.isArray() || value.size() != 2 || !value.get(1).isTextual()) {
            throw new PrometheusException(PrometheusException.Kind.MALFORMED, "malformed vector element " + element,
                    null);
        }
        return new Sample(labels(metric), parseValue(value.get(1).asText(), value));
    }

    private static Map<String, String> labels(JsonNode metric) {
        Map<String, String> labels = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = metric.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> label = it.next();
            labels.put(label.getKey(), label.getValue().asText());
        }
        return labels;
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

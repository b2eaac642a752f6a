package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.api.ApiConfig;
import com.dbmetrics.api.QueryApi;
import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.streams.StreamsApp;
import com.dbmetrics.streams.StreamsAppConfig;
import com.dbmetrics.streams.topology.MetricsTopology;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The Prometheus-compatible API through the real pipeline (Kafka, the streams-app's stores, Redis, the query API),
 * read by Prometheus' own client, {@code promtool query} (Debian's prometheus package; basic auth from the URL's user
 * info, the JWT as password), and compared with what the REST API serves for the same database at the same time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class PrometheusApiIT {

    private static final String SECRET = "prom-it-secret-0123456789abcdef-xyz0";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int POINTS = 13;

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String project = "prom-" + run;
    private final String sibling = "prom2-" + run;
    private final String dbA = "pa-" + run;
    private final String dbB = "pb-" + run;
    private final String dbC = "pc-" + run;
    private final String foreign = "px-" + run;
    private final MetricsTopology.TopicNames topics = new MetricsTopology.TopicNames("prom-snapshots-" + run,
            "prom-latest-" + run, "prom-status-" + run, "prom-dlq-" + run);
    private final ObjectMapper mapper = Json.newMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private StreamsApp streams;
    private QueryApi api;
    private Instant last;

    @BeforeAll
    void start() throws Exception {
        TestStack.createTopics(topics);
        int iqPort = TestStack.freePort();
        streams = StreamsApp.start(StreamsAppConfig.fromEnv(TestStack.streamsEnv("prom-" + run, iqPort)), topics);
        Map<String, String> env = TestStack.apiEnv(iqPort, SECRET);
        env.put("METRICS_RATE_LIMIT_PER_USER", "100000");
        env.put("METRICS_RATE_LIMIT_PER_DB", "100000");
        api = QueryApi.start(ApiConfig.fromEnv(env), java.time.Clock.systemUTC());
        // the last minute of four databases: two in the project, one in a sibling project, one in another domain
        last = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(1);
        try (KafkaProducer<String, byte[]> producer = TestStack.adminProducer()) {
            for (int i = 0; i < POINTS; i++) {
                Instant t = last.minusSeconds(5L * (POINTS - 1 - i));
                produce(producer, "acme", project, dbA, "postgresql", t, Map.of(Metric.CONNECTIONS, 10.0 + i,
                        Metric.CPU_USAGE, 0.25 * i, Metric.STORAGE_SIZE, 1.5e10 + i));
                produce(producer, "acme", project, dbB, "mysql", t, Map.of(Metric.CONNECTIONS, 100.0 + i,
                        Metric.MEMORY_USAGE, 2.0e9, Metric.OPERATIONS_PER_SEC, 12.5));
                produce(producer, "acme", sibling, dbC, "redis", t, Map.of(Metric.CONNECTIONS, 7.0));
                produce(producer, "other", project, foreign, "postgresql", t, Map.of(Metric.CONNECTIONS, 666.0));
            }
        }
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
            for (String[] db : new String[][] {{"acme", project, dbA}, {"acme", project, dbB},
                    {"acme", sibling, dbC}, {"other", project, foreign}}) {
                HttpResponse<String> r = rest(db[0], db[1], db[2], "");
                assertThat(mapper.readTree(r.body()).path("timestamp").asText()).isEqualTo(last.toString());
                assertThat(mapper.readTree(rest(db[0], db[1], db[2], "/history").body()).path("points"))
                        .hasSize(POINTS);
            }
        });
        // and the project's listing, which this API answers from: gathered from the streams-app's stores, which may
        // still be restoring after the streams-app's first rebalance (they answer behind meanwhile, decision 5), and
        // held for the L1 TTL; the reads above come from Redis and do not show it
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() ->
                assertThat(mapper.readTree(prom("query?query=" + q("dbmetrics_connections{project=\"" + project
                        + "\"}") + "&time=" + epoch(last), "Bearer " + token("acme/" + project)).body())
                        .path("data").path("result")).hasSize(2));
    }

    @AfterAll
    void stop() {
        for (AutoCloseable c : new AutoCloseable[] {api, streams}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
    }

    private void produce(KafkaProducer<String, byte[]> producer, String domain, String inProject, String id,
            String engine, Instant t, Map<Metric, Double> values) throws Exception {
        MetricsSnapshot s = MetricsSnapshot.of(new DatabaseRef(id, "name of " + id, engine, domain, inProject), t, 5,
                values);
        producer.send(new ProducerRecord<>(topics.snapshots(), null, t.toEpochMilli(), id,
                JsonSerde.snapshots(mapper).serialize(topics.snapshots(), s))).get();
    }

    private String token(String... tenants) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject("grafana")
                .claim("tenants", List.of(tenants)).expirationTime(Date.from(Instant.now().plusSeconds(600))).build());
        jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    private HttpResponse<String> rest(String domain, String inProject, String id, String suffix) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/api/v1/domain/"
                        + domain + "/project/" + inProject + "/databases/" + id + "/metrics" + suffix))
                .header("Authorization", "Bearer " + token(domain + "/" + inProject)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> prom(String pathAndQuery, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port()
                + "/prometheus/api/v1/" + pathAndQuery));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** The server URL promtool is given: basic auth from the user info, the JWT as password. */
    private String server(String token) {
        return "http://grafana:" + token + "@127.0.0.1:" + api.port() + "/prometheus";
    }

    /** Runs promtool; its standard output, or the failure with what it printed. */
    private static Result promtool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("promtool", "query"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }

    private record Result(int exit, String out) {}

    private JsonNode json(Result r) throws Exception {
        assertThat(r.exit()).as(r.out()).isZero();
        return mapper.readTree(r.out());
    }

    private static String epoch(Instant t) {
        return Long.toString(t.getEpochSecond());
    }

    @Test
    void shouldAnswerPromtoolsInstantQueryWithWhatTheRestApiServes() throws Exception {
        String token = token("acme/" + project);
        JsonNode vector = json(promtool("instant", "-o", "json", "--time=" + epoch(last), server(token),
                "{project=\"" + project + "\"}"));
        Map<String, String> got = new TreeMap<>();
        for (JsonNode sample : vector) {
            assertThat(sample.path("value").get(0).asDouble()).isEqualTo(last.getEpochSecond());
            got.put(sample.path("metric").path("__name__").asText() + " " + sample.path("metric").path("database_id")
                    .asText(), sample.path("value").get(1).asText());
            assertThat(sample.path("metric").path("domain").asText()).isEqualTo("acme");
            assertThat(sample.path("metric").path("project").asText()).isEqualTo(project);
        }
        Map<String, String> expected = new TreeMap<>();
        for (String id : List.of(dbA, dbB)) {
            JsonNode metrics = mapper.readTree(rest("acme", project, id, "").body()).path("metrics");
            put(expected, "dbmetrics_connections", id, metrics.path("connections"));
            put(expected, "dbmetrics_cpu_usage", id, metrics.path("cpu_usage"));
            put(expected, "dbmetrics_storage_size_bytes", id, metrics.path("storage_size"));
            put(expected, "dbmetrics_memory_usage_bytes", id, metrics.path("memory_usage"));
            put(expected, "dbmetrics_operations_per_second", id, metrics.path("operations_per_sec"));
        }
        assertThat(got).isEqualTo(expected);
        assertThat(got).containsEntry("dbmetrics_connections " + dbA, "22") // 10 + 12
                .containsEntry("dbmetrics_storage_size_bytes " + dbA, "15000000012")
                .containsEntry("dbmetrics_cpu_usage " + dbA, "3")
                .doesNotContainKey("dbmetrics_cpu_usage " + dbB); // missing: absent, never 0

        // an earlier instant reads the history: the point in effect then
        JsonNode earlier = json(promtool("instant", "-o", "json", "--time=" + epoch(last.minusSeconds(12)),
                server(token), "dbmetrics_connections{database_id=\"" + dbA + "\"}"));
        assertThat(earlier).singleElement().satisfies(s -> assertThat(s.path("value").get(1).asText()).isEqualTo("19"));
        // past the staleness bound of the newest point: nothing, as Prometheus after its lookback
        JsonNode later = json(promtool("instant", "-o", "json", "--time=" + epoch(last.plusSeconds(600)),
                server(token), "dbmetrics_connections"));
        assertThat(later).isEmpty();
        // aggregation, and Grafana's data-source probe
        JsonNode sum = json(promtool("instant", "-o", "json", "--time=" + epoch(last), server(token),
                "sum by (engine) (dbmetrics_connections)"));
        assertThat(sum).hasSize(2);
        assertThat(sum.get(0).path("metric").path("engine").asText()).isEqualTo("mysql");
        assertThat(sum.get(0).path("value").get(1).asText()).isEqualTo("112");
        Result probe = promtool("instant", server(token), "1+1");
        assertThat(probe.out()).as(probe.out()).contains("2");
    }

    private static void put(Map<String, String> expected, String name, String id, JsonNode value) {
        if (!value.isNull()) {
            expected.put(name + " " + id, value.isIntegralNumber() || value.asDouble() == Math.rint(value.asDouble())
                    ? Long.toString((long) value.asDouble()) : value.asText());
        }
    }

    @Test
    void shouldAnswerPromtoolsRangeQueryFromTheHistory() throws Exception {
        String token = token("acme/" + project);
        Instant start = last.minusSeconds(5L * (POINTS - 1));
        JsonNode matrix = json(promtool("range", "-o", "json", "--start=" + epoch(start), "--end=" + epoch(last),
                "--step=5s", server(token), "dbmetrics_connections{database_id=\"" + dbA + "\"}"));
        assertThat(matrix).hasSize(1);
        List<String> values = new ArrayList<>();
        List<Long> times = new ArrayList<>();
        for (JsonNode point : matrix.get(0).path("values")) {
            times.add(point.get(0).asLong());
            values.add(point.get(1).asText());
        }
        List<String> fromHistory = new ArrayList<>();
        List<Long> historyTimes = new ArrayList<>();
        for (JsonNode point : mapper.readTree(rest("acme", project, dbA, "/history?from=" + epoch(start) + "&to="
                + epoch(last)).body()).path("points")) {
            fromHistory.add(Long.toString(point.path("metrics").path("connections").asLong()));
            historyTimes.add(Instant.parse(point.path("timestamp").asText()).getEpochSecond());
        }
        assertThat(values).hasSize(POINTS).isEqualTo(fromHistory);
        assertThat(times).isEqualTo(historyTimes);

        // a finer step repeats the point in effect; a whole-project sum per step
        JsonNode fine = json(promtool("range", "-o", "json", "--start=" + epoch(start), "--end=" + epoch(start
                .plusSeconds(5)), "--step=1s", server(token), "sum(dbmetrics_connections)"));
        List<String> sums = new ArrayList<>();
        fine.get(0).path("values").forEach(p -> sums.add(p.get(1).asText()));
        assertThat(sums).containsExactly("110", "110", "110", "110", "110", "112");
    }

    /**
     * Dashboards ask the same expression again and again between two snapshots: the API renders it once (decision 31,
     * prom.AnswerMemo) and writes each asked time into the held rendering, and a newer snapshot makes it render anew.
     * Read by promtool, as Grafana's instant queries (an explicit time) and a query without one (now).
     */
    @Test
    void shouldRenderARepeatedQueryOnceUntilANewerSnapshotArrives() throws Exception {
        String fresh = "prom3-" + run;
        String db = "pd-" + run;
        String token = token("acme/" + fresh);
        String selector = "dbmetrics_connections{project=\"" + fresh + "\"}";
        Instant t1 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(1);
        try (KafkaProducer<String, byte[]> producer = TestStack.adminProducer()) {
            produce(producer, "acme", fresh, db, "postgresql", t1, Map.of(Metric.CONNECTIONS, 41.0));
        }
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() ->
                assertThat(json(promtool("instant", "-o", "json", server(token), selector))).singleElement()
                        .satisfies(s -> assertThat(s.path("value").get(1).asText()).isEqualTo("41")));
        double held = counter("dbm_api_prometheus_answers_held_total");
        for (int k = 1; k <= 10; k++) {
            // Grafana's instant queries: an explicit time each, here with a fraction of a second
            BigDecimal at = BigDecimal.valueOf(t1.plusSeconds(1).plusMillis(100L * k).toEpochMilli(), 3);
            JsonNode result = mapper.readTree(prom("query?query=" + q(selector) + "&time=" + at.toPlainString(),
                    "Bearer " + token).body()).path("data").path("result");
            assertThat(result).singleElement().satisfies(s -> {
                assertThat(s.path("value").get(0).decimalValue()).isEqualByComparingTo(at);
                assertThat(s.path("value").get(1).asText()).isEqualTo("41");
                assertThat(s.path("metric").path("database_id").asText()).isEqualTo(db);
            });
        }
        // the first rendered it (a time before the last rendering's), and the held listing may have been read anew
        // once within the ten (L1 TTL): every other answer came from the held rendering
        assertThat(counter("dbm_api_prometheus_answers_held_total")).isGreaterThanOrEqualTo(held + 8);
        assertThat(json(promtool("instant", "-o", "json", "--time=" + epoch(t1.plusSeconds(3)), server(token),
                selector))).singleElement().satisfies(s -> assertThat(s.path("value").get(0).asLong())
                        .isEqualTo(t1.plusSeconds(3).getEpochSecond()));

        Instant t2 = t1.plusSeconds(5);
        try (KafkaProducer<String, byte[]> producer = TestStack.adminProducer()) {
            produce(producer, "acme", fresh, db, "postgresql", t2, Map.of(Metric.CONNECTIONS, 43.0));
        }
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() ->
                assertThat(json(promtool("instant", "-o", "json", "--time=" + epoch(t2.plusSeconds(1)), server(token),
                        selector))).singleElement()
                        .satisfies(s -> assertThat(s.path("value").get(1).asText()).isEqualTo("43")));
        // and a time before the newer snapshot still reads the point in effect then, from the history
        assertThat(json(promtool("instant", "-o", "json", "--time=" + epoch(t1.plusSeconds(2)), server(token),
                selector))).singleElement().satisfies(s -> assertThat(s.path("value").get(1).asText()).isEqualTo("41"));
    }

    /**
     * Browsers and Go's clients (Grafana, promtool) ask for gzip: a held history slice and a held range answer go out
     * gzipped, encoded once for all readers, and decode to exactly what a client without gzip gets.
     */
    @Test
    void shouldSendHeldHistoriesAndRangeAnswersGzippedToClientsThatAcceptIt() throws Exception {
        String token = token("acme/" + project);
        URI history = URI.create("http://127.0.0.1:" + api.port() + "/api/v1/domain/acme/project/" + project
                + "/databases/" + dbA + "/metrics/history");
        URI range = URI.create("http://127.0.0.1:" + api.port() + "/prometheus/api/v1/query_range?query="
                + q("{project=\"" + project + "\"}") + "&start=" + epoch(last.minusSeconds(60)) + "&end="
                + epoch(last) + "&step=5");
        for (URI uri : List.of(history, range)) {
            HttpResponse<byte[]> plain = http.send(HttpRequest.newBuilder(uri).header("Authorization",
                    "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(plain.statusCode()).isEqualTo(200);
            assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
            assertThat(plain.body().length).as(uri.getPath()).isGreaterThan(1500); // worth compressing
            for (int i = 0; i < 2; i++) { // the second from the held encoding
                HttpResponse<byte[]> gzip = http.send(HttpRequest.newBuilder(uri).header("Authorization",
                        "Bearer " + token).header("Accept-Encoding", "gzip, deflate, br").GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(gzip.statusCode()).isEqualTo(200);
                assertThat(gzip.headers().firstValue("Content-Encoding")).hasValue("gzip");
                assertThat(gzip.headers().allValues("Vary")).anySatisfy(v -> assertThat(v).contains(
                        "Accept-Encoding"));
                assertThat(gzip.body().length).isLessThan(plain.body().length / 2);
                try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(
                        new java.io.ByteArrayInputStream(gzip.body()))) {
                    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                            .isEqualTo(new String(plain.body(), StandardCharsets.UTF_8));
                }
            }
        }
    }

    /** A counter of the API's {@code /metrics} (management port). */
    private double counter(String name) throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.managementPort()
                + "/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        return text.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /**
     * The prometheus-query npm client (e2e/node/prom-client.mjs) reads instant, range, series, label names and values,
     * metadata, rules and alerts as a JavaScript dashboard would, and gets the same values as the REST API.
     */
    @Test
    void shouldServeThePrometheusQueryNpmClient() throws Exception {
        String script = TestStack.require("DBM_IT_PROM_CLIENT");
        Instant start = last.minusSeconds(5L * (POINTS - 1));
        ProcessBuilder pb = new ProcessBuilder("node", script, "http://127.0.0.1:" + api.port(),
                "dbmetrics_connections{project=\"" + project + "\"}", epoch(last), epoch(start), epoch(last), "5")
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("PROM_TOKEN", token("acme/" + project));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        JsonNode got = mapper.readTree(out);

        Map<String, Double> instant = new TreeMap<>();
        for (JsonNode r : got.path("instant")) {
            assertThat(r.path("name").asText()).isEqualTo("dbmetrics_connections");
            assertThat(r.path("value").path("time").asLong()).isEqualTo(last.getEpochSecond());
            instant.put(r.path("labels").path("database_id").asText(), r.path("value").path("value").asDouble());
        }
        Map<String, Double> rest = new TreeMap<>();
        for (String id : List.of(dbA, dbB)) {
            rest.put(id, mapper.readTree(rest("acme", project, id, "").body()).path("metrics").path("connections")
                    .asDouble());
        }
        assertThat(instant).isEqualTo(rest);

        JsonNode rangeA = null;
        for (JsonNode r : got.path("range")) {
            if (r.path("labels").path("database_id").asText().equals(dbA)) {
                rangeA = r;
            }
        }
        assertThat(got.path("range")).hasSize(2);
        List<Double> values = new ArrayList<>();
        rangeA.path("values").forEach(v -> values.add(v.path("value").asDouble()));
        List<Double> history = new ArrayList<>();
        mapper.readTree(rest("acme", project, dbA, "/history?from=" + epoch(start) + "&to=" + epoch(last)).body())
                .path("points").forEach(pt -> history.add(pt.path("metrics").path("connections").asDouble()));
        assertThat(values).hasSize(POINTS).isEqualTo(history);

        assertThat(got.path("series")).hasSize(2);
        assertThat(got.path("series").get(0).path("labels").path("project").asText()).isEqualTo(project);
        assertThat(got.path("databaseIds").toString()).isEqualTo("[\"" + dbA + "\",\"" + dbB + "\"]");
        assertThat(got.path("labelNames").toString()).contains("database_name").doesNotContain(foreign);
        assertThat(got.path("metadata").path("dbmetrics_cpu_usage").get(0).path("type").asText()).isEqualTo("gauge");
        assertThat(got.path("rules")).isEmpty();
        assertThat(got.path("alerts")).isEmpty();
        assertThat(got.path("unsupported").path("httpStatus").asInt()).isEqualTo(400);
        assertThat(got.path("unsupported").path("errorType").asText()).isEqualTo("bad_data");
        assertThat(got.path("unsupported").path("error").asText()).contains("supported: vector selectors");
    }

    /**
     * The Grafana dashboard the project ships (deploy/grafana/dashboards) asks only what this API answers: its
     * variables' label_values queries and every panel's query, with the variables as Grafana substitutes them, return
     * data for the test's project.
     */
    @Test
    void shouldAnswerEveryQueryOfTheShippedGrafanaDashboard() throws Exception {
        String bearer = "Bearer " + token("acme/" + project);
        JsonNode dashboard = mapper.readTree(new java.io.File("../deploy/grafana/dashboards/dbmetrics-project.json"));
        java.util.regex.Pattern labelValues = java.util.regex.Pattern.compile("label_values\\((.*), (\\w+)\\)");
        Map<String, List<String>> variables = new TreeMap<>();
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if (!variable.path("type").asText().equals("query")) {
                continue;
            }
            java.util.regex.Matcher m = labelValues.matcher(variable.path("definition").asText());
            assertThat(m.matches()).as(variable.toString()).isTrue();
            String match = m.group(1).replace("$project", project);
            HttpResponse<String> r = prom("label/" + m.group(2) + "/values?match[]=" + q(match), bearer);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            List<String> values = new ArrayList<>();
            mapper.readTree(r.body()).path("data").forEach(v -> values.add(v.asText()));
            variables.put(variable.path("name").asText(), values);
        }
        assertThat(variables.get("project")).containsExactly(project);
        assertThat(variables.get("database")).containsExactly(dbA, dbB);

        Instant start = last.minusSeconds(60);
        int panels = 0;
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                // as Grafana sends it with "All" selected, and with two databases picked
                for (String database : List.of(".+", "(" + dbA + "|" + dbB + ")")) {
                    String expr = target.path("expr").asText().replace("$project", project)
                            .replace("$database", database);
                    HttpResponse<String> r = target.path("instant").asBoolean()
                            ? prom("query?query=" + q(expr) + "&time=" + epoch(last), bearer)
                            : prom("query_range?query=" + q(expr) + "&start=" + epoch(start) + "&end=" + epoch(last)
                                    + "&step=5", bearer);
                    assertThat(r.statusCode()).as(expr + " -> " + r.body()).isEqualTo(200);
                    assertThat(mapper.readTree(r.body()).path("data").path("result")).as(expr).isNotEmpty();
                }
                panels++;
            }
        }
        assertThat(panels).isEqualTo(dashboard.path("panels").size());
    }

    @Test
    void shouldListSeriesAndLabelsOfTheCallersTenantsOnly() throws Exception {
        String token = token("acme/" + project);
        Result series = promtool("series", "--match={domain=~\".+\"}", server(token));
        assertThat(series.exit()).as(series.out()).isZero();
        assertThat(series.out().lines().filter(l -> !l.isBlank()).count()).as(series.out()).isEqualTo(6); // A: 3, B: 3
        assertThat(series.out()).contains(dbA, dbB).doesNotContain(foreign, dbC, "other");

        Result ids = promtool("labels", server(token), "database_id");
        assertThat(ids.out().lines().filter(l -> !l.isBlank()).toList()).as(ids.out()).containsExactly(dbA, dbB);
        Result domains = promtool("labels", server(token), "domain");
        assertThat(domains.out().lines().filter(l -> !l.isBlank()).toList()).containsExactly("acme");

        // a domain-wide tenant sees every project of its domain, never another domain
        Result wide = promtool("labels", server(token("acme/*")), "database_id");
        assertThat(wide.out().lines().filter(l -> !l.isBlank()).toList()).contains(dbA, dbB, dbC)
                .doesNotContain(foreign);

        JsonNode names = mapper.readTree(prom("labels", "Bearer " + token).body());
        assertThat(names.path("status").asText()).isEqualTo("success");
        assertThat(names.path("data").toString()).isEqualTo(
                "[\"__name__\",\"database_id\",\"database_name\",\"domain\",\"engine\",\"project\"]");
    }

    @Test
    void shouldKeepAForeignTenantInvisibleThroughEveryEndpoint() throws Exception {
        String token = token("acme/" + project);
        String byId = "{database_id=\"" + foreign + "\"}";
        assertThat(json(promtool("instant", "-o", "json", "--time=" + epoch(last), server(token), byId))).isEmpty();
        assertThat(json(promtool("instant", "-o", "json", "--time=" + epoch(last), server(token),
                "{domain=\"other\"}"))).isEmpty();
        assertThat(json(promtool("range", "-o", "json", "--start=" + epoch(last.minusSeconds(60)),
                "--end=" + epoch(last), "--step=5s", server(token), byId))).isEmpty();
        for (String path : List.of("series?match[]=" + q(byId), "label/database_id/values?match[]=" + q(byId),
                "label/domain/values", "label/database_name/values", "labels?match[]=" + q(byId))) {
            HttpResponse<String> r = prom(path, "Bearer " + token);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.body()).as(path).doesNotContain(foreign).doesNotContain("other");
        }
        // the other domain's own token sees it
        assertThat(json(promtool("instant", "-o", "json", "--time=" + epoch(last), server(token("other/" + project)),
                byId))).singleElement().satisfies(s -> assertThat(s.path("value").get(1).asText()).isEqualTo("666"));
    }

    @Test
    void shouldRefuseUnsupportedExpressionsAndBadCredentialsInPrometheusTerms() throws Exception {
        String token = token("acme/" + project);
        HttpResponse<String> rate = prom("query?query=" + q("rate(dbmetrics_connections[5m])"), "Bearer " + token);
        assertThat(rate.statusCode()).isEqualTo(400);
        JsonNode error = mapper.readTree(rate.body());
        assertThat(error.path("status").asText()).isEqualTo("error");
        assertThat(error.path("errorType").asText()).isEqualTo("bad_data");
        assertThat(error.path("error").asText()).contains("not supported").contains("supported: vector selectors");
        Result viaPromtool = promtool("instant", server(token), "topk(1, dbmetrics_connections)");
        assertThat(viaPromtool.exit()).isNotZero();
        assertThat(viaPromtool.out()).contains("bad_data").contains("supported: vector selectors");

        HttpResponse<String> none = prom("query?query=1", null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate").orElse("")).contains("Basic");
        assertThat(mapper.readTree(none.body()).path("errorType").asText()).isEqualTo("unauthorized");
        String badBasic = "Basic " + Base64.getEncoder().encodeToString(("grafana:" + token + "x")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(prom("query?query=1", badBasic).statusCode()).isEqualTo(401);
        Result wrongPassword = promtool("instant", server(token.substring(0, token.length() - 2)), "1");
        assertThat(wrongPassword.exit()).isNotZero();

        HttpResponse<String> range = prom("query_range?query=1&start=10&end=200000&step=1", "Bearer " + token);
        assertThat(range.statusCode()).isEqualTo(400);
        assertThat(range.body()).contains("11,000 points");
        HttpResponse<String> unknown = prom("targets", "Bearer " + token);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(mapper.readTree(unknown.body()).path("status").asText()).isEqualTo("error");
    }

    @Test
    void shouldAnswerGrafanasProbesAndMetadata() throws Exception {
        String bearer = "Bearer " + token("acme/" + project);
        assertThat(mapper.readTree(prom("status/buildinfo", bearer).body()).path("data").path("version").asText())
                .matches("\\d+\\.\\d+\\.\\d+");
        for (String[] probe : new String[][] {{"rules", "{\"groups\":[]}"}, {"alerts", "{\"alerts\":[]}"},
                {"query_exemplars?query=x&start=1&end=2", "[]"}}) {
            HttpResponse<String> r = prom(probe[0], bearer);
            assertThat(r.statusCode()).as(probe[0]).isEqualTo(200);
            assertThat(mapper.readTree(r.body()).path("data").toString()).as(probe[0]).isEqualTo(probe[1]);
        }
        JsonNode metadata = mapper.readTree(prom("metadata", bearer).body()).path("data");
        assertThat(metadata.size()).isEqualTo(5);
        assertThat(metadata.path("dbmetrics_memory_usage_bytes").get(0).path("unit").asText()).isEqualTo("bytes");
        assertThat(metadata.path("dbmetrics_connections").get(0).path("type").asText()).isEqualTo("gauge");
        // form POST, as Grafana sends queries by default
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port()
                        + "/prometheus/api/v1/query")).header("Authorization", bearer)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("query=" + q("count(dbmetrics_connections)") + "&time="
                        + epoch(last))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).as(post.body()).isEqualTo(200);
        assertThat(mapper.readTree(post.body()).path("data").path("result").get(0).path("value").get(1).asText())
                .isEqualTo("2");
        assertThat(post.headers().firstValue("RateLimit-Limit")).as("the caller's rate limit applies").isPresent();
    }
}

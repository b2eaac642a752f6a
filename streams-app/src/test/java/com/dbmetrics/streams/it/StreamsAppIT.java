package com.dbmetrics.streams.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.RedisKeys;
import com.dbmetrics.schemas.testing.TestServices;
import com.dbmetrics.streams.StreamsApp;
import com.dbmetrics.streams.StreamsAppConfig;
import com.dbmetrics.streams.topology.MetricsTopology;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.JedisPooled;

/** The streams-app against the real Kafka broker and Redis of {@code ./dbm test}, on topics of its own. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StreamsAppIT {

    private static final Instant T0 = Instant.parse("2026-11-25T10:30:00Z");

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final MetricsTopology.TopicNames topics = new MetricsTopology.TopicNames("it-snapshots-" + run,
            "it-latest-" + run, "it-status-" + run, "it-dlq-" + run);
    private final ObjectMapper mapper = Json.newMapper();
    private final JsonSerde<MetricsSnapshot> serde = JsonSerde.snapshots(mapper);
    private final HttpClient http = HttpClient.newHttpClient();
    private KafkaProducer<String, byte[]> producer;
    private StreamsApp app;
    private JedisPooled redis;
    private int iqPort;
    private int managementPort;

    static String env(String name) {
        String value = System.getenv(name);
        if (value == null) {
            throw new IllegalStateException(name + " is not set: run the integration tests through ./dbm test");
        }
        return value;
    }

    @BeforeAll
    void start() throws Exception {
        try (Admin admin = Admin.create(TestServices.kafkaProperties(TestServices.KAFKA_ADMIN))) {
            admin.createTopics(List.of(new NewTopic(topics.snapshots(), 3, (short) 1),
                    new NewTopic(topics.latest(), 3, (short) 1).configs(Map.of("cleanup.policy", "compact")),
                    new NewTopic(topics.pollerStatus(), 1, (short) 1),
                    new NewTopic(topics.deadLetters(), 1, (short) 1))).all().get();
        }
        producer = new KafkaProducer<>(ItServices.producerProperties());
        try (ServerSocket s = new ServerSocket(0)) {
            iqPort = s.getLocalPort();
        }
        // unique topics and application id, which the streams principal's ACLs do not name: Kafka as the admin
        Map<String, String> config = new HashMap<>(ItServices.appEnv(TestServices.KAFKA_ADMIN));
        config.put("STREAMS_APPLICATION_ID", "it-streams-" + run);
        config.put("STREAMS_APPLICATION_SERVER", "127.0.0.1:" + iqPort);
        config.put("STREAMS_MANAGEMENT_PORT", "0");
        config.put("STREAMS_STATE_DIR", Files.createTempDirectory("it-streams").toString());
        app = StreamsApp.start(StreamsAppConfig.fromEnv(config), topics);
        managementPort = app.managementPort();
        redis = TestServices.redis(TestServices.REDIS_ADMIN);
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
        if (producer != null) {
            producer.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private MetricsSnapshot snapshot(String id, String project, Instant t, double connections) {
        return MetricsSnapshot.of(new DatabaseRef(id, id, "postgresql", "acme", project), t, 5,
                Map.of(Metric.CONNECTIONS, connections));
    }

    private void produce(String key, byte[] value, Instant t) throws Exception {
        producer.send(new ProducerRecord<>(topics.snapshots(), null, t.toEpochMilli(), key, value)).get();
    }

    private void produce(MetricsSnapshot s) throws Exception {
        produce(s.databaseId(), serde.serialize(topics.snapshots(), s), s.timestamp());
    }

    private HttpResponse<String> iq(String path) throws Exception {
        return http.send(ItServices.authorized(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + iqPort + path)))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code /healthz}, {@code /readyz} and {@code /metrics}, on the management port. */
    private HttpResponse<String> management(String path) throws Exception {
        return get(managementPort, path);
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldServeLatestByEventTimeThroughIqAndRedisAndIgnorePoison() throws Exception {
        String id = "db-" + run;
        produce(snapshot(id, "shop", T0.plusSeconds(10), 10));
        produce(id, "garbage{".getBytes(StandardCharsets.UTF_8), T0.plusSeconds(11));
        produce(snapshot(id, "shop", T0, 1)); // replayed older snapshot

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            HttpResponse<String> r = iq("/internal/v1/snapshots/" + id);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(serde.parse(r.body().getBytes(StandardCharsets.UTF_8)).value(Metric.CONNECTIONS)).isEqualTo(10.0);
        });
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            byte[] fresh = redis.get(RedisKeys.fresh(id).getBytes(StandardCharsets.UTF_8));
            assertThat(fresh).isNotNull();
            assertThat(serde.parse(fresh).timestamp()).isEqualTo(T0.plusSeconds(10));
        });
        assertDeadLetter(id, "garbage{");
        String metrics = management("/metrics").body();
        assertThat(metrics).contains("dbm_streams_snapshots_dropped_older_total").contains("dbm_streams_mirror_backlog");
        assertThat(metrics.lines().filter(l -> l.startsWith("dbm_streams_dead_letters_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum()).isGreaterThanOrEqualTo(1);
        produce(snapshot(id, "shop", T0.plusSeconds(15), 15));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(serde.parse(redis.get(
                RedisKeys.fresh(id).getBytes(StandardCharsets.UTF_8))).value(Metric.CONNECTIONS)).isEqualTo(15.0));
    }

    /** The poison record is on the dead-letter topic with its bytes and the headers naming where it came from. */
    private void assertDeadLetter(String key, String value) {
        Map<String, Object> properties = TestServices.kafkaProperties(TestServices.KAFKA_ADMIN);
        properties.putAll(Map.of(ConsumerConfig.GROUP_ID_CONFIG, "dlq-check-" + run,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(properties,
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topics.deadLetters()));
            List<ConsumerRecord<String, byte[]>> found = new java.util.ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(500)).forEach(found::add);
                return found.stream().anyMatch(r -> key.equals(r.key()));
            });
            ConsumerRecord<String, byte[]> dead = found.stream().filter(r -> key.equals(r.key())).findFirst().get();
            assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo(value);
            assertThat(header(dead, "dbm-source-topic")).isEqualTo(topics.snapshots());
            assertThat(header(dead, "dbm-source-partition")).matches("\\d+");
            assertThat(header(dead, "dbm-source-offset")).matches("\\d+");
            assertThat(header(dead, "dbm-error")).contains("Invalid MetricsSnapshot");
        }
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    /** The sum of the samples on {@code /metrics} whose line starts with {@code series} (a name, maybe with labels). */
    static double sample(String metrics, String series) {
        return metrics.lines().filter(l -> l.startsWith(series) && (l.length() == series.length()
                        || " {,".indexOf(l.charAt(series.length())) >= 0))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void shouldBeReadyAndReportIqOutcomesRestorationAndMirrorLagWhenRunning() throws Exception {
        String id = "ready-" + run;
        produce(snapshot(id, "shop", T0, 1));
        await().atMost(Duration.ofSeconds(60)).until(() -> iq("/internal/v1/snapshots/" + id).statusCode() == 200);
        await().atMost(Duration.ofSeconds(30)).until(() -> management("/readyz").statusCode() == 200);
        assertThat(management("/readyz").body()).isEqualTo("ok\n");
        assertThat(app.streams().state()).isEqualTo(org.apache.kafka.streams.KafkaStreams.State.RUNNING);
        assertThat(management("/healthz").statusCode()).isEqualTo(200);
        assertThat(iq("/internal/v1/snapshots/absent-" + run).statusCode()).isEqualTo(404);
        assertThat(iq("/internal/v1/projects/acme/shop/snapshots").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> redis.exists(RedisKeys.fresh(id)));

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String metrics = management("/metrics").body();
            String requests = "dbm_streams_iq_requests_total{outcome=";
            assertThat(sample(metrics, requests + "\"local\",query=\"snapshot\"}")).isGreaterThanOrEqualTo(1);
            assertThat(sample(metrics, requests + "\"not_found\",query=\"snapshot\"}")).isGreaterThanOrEqualTo(1);
            assertThat(sample(metrics, requests + "\"local\",query=\"project\"}")).isGreaterThanOrEqualTo(1);
            // one instance: nothing to forward to, nothing to gather from, no standby
            assertThat(sample(metrics, requests + "\"forwarded\"")).isZero();
            assertThat(sample(metrics, requests + "\"gathered\"")).isZero();
            assertThat(sample(metrics, requests + "\"standby\"")).isZero();
            assertThat(sample(metrics, "dbm_streams_restoring_partitions")).isZero();
            assertThat(sample(metrics, "dbm_streams_restore_remaining_records")).isZero();
            assertThat(metrics).contains("dbm_streams_restored_records_total");
            assertThat(sample(metrics, "dbm_streams_mirror_lag_seconds")).isZero(); // everything reached Redis
        });
    }

    @Test
    void shouldListProjectSortedAndPaged() throws Exception {
        String project = "proj-" + run;
        for (int i = 0; i < 5; i++) {
            produce(snapshot("p" + i + "-" + run, project, T0, i));
        }
        produce(snapshot("other-" + run, project + "x", T0, 1));

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode page1 = mapper.readTree(iq("/internal/v1/projects/acme/" + project + "/snapshots?limit=3").body());
            assertThat(page1.path("items")).hasSize(3);
            assertThat(page1.path("next_cursor").asText()).isEqualTo("p2-" + run);
            JsonNode page2 = mapper.readTree(iq("/internal/v1/projects/acme/" + project
                    + "/snapshots?limit=3&cursor=" + page1.path("next_cursor").asText()).body());
            assertThat(page2.path("items")).hasSize(2);
            assertThat(page2.path("next_cursor").isNull()).isTrue();
        });
    }

    @Test
    void shouldAnswerErrorsAsJsonWithoutInternals() throws Exception {
        await().atMost(Duration.ofSeconds(60)).until(() -> iq("/internal/v1/snapshots/nobody-" + run).statusCode() == 404);
        HttpResponse<String> missing = iq("/internal/v1/snapshots/nobody-" + run);
        HttpResponse<String> invalid = iq("/internal/v1/snapshots/.bad");
        HttpResponse<String> badLimit = iq("/internal/v1/projects/acme/shop/snapshots?limit=0");

        assertThat(mapper.readTree(missing.body()).path("status").asInt()).isEqualTo(404);
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(badLimit.statusCode()).isEqualTo(400);
        assertThat(missing.body() + invalid.body() + badLimit.body()).doesNotContain("Exception").doesNotContain("at ");
    }

    @Test
    void shouldServeProbesAndMetricsOnTheManagementPortOnly() throws Exception {
        assertThat(managementPort).isNotEqualTo(iqPort);
        assertThat(management("/metrics").body()).contains("dbm_streams_running");
        for (String path : List.of("/healthz", "/readyz", "/metrics")) {
            assertThat(iq(path).statusCode()).as("%s on the interactive-query port", path).isEqualTo(404);
        }
    }

    @Test
    void shouldAnswer401WithoutTheInternalApiTokenAndServeItWithTheToken() throws Exception {
        HttpResponse<String> without = get(iqPort, "/internal/v1/poller-status");
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + iqPort
                + "/internal/v1/snapshots/db-" + run)).header("Authorization", "Bearer not-the-token-0123456789abcdef")
                .GET().build(), HttpResponse.BodyHandlers.ofString());

        for (HttpResponse<String> refused : List.of(without, wrong)) {
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(refused.body()).isEqualTo("{\"error\":\"Unauthorized\",\"status\":401}");
        }
        assertThat(iq("/internal/v1/poller-status").statusCode()).isNotEqualTo(401);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(sample(management("/metrics").body(),
                "dbm_streams_iq_requests_total{outcome=\"unauthorized\",query=\"poller_status\"}")).isEqualTo(1));
    }

    /**
     * Started without STREAMS_IQ_BIND_HOST or STREAMS_MANAGEMENT_BIND_HOST: neither port answers on any non-loopback
     * address of this machine. A machine with no such address proves it by the bound address being loopback.
     */
    @Test
    void shouldNotBeReachableOnANonLoopbackAddressByDefault() throws Exception {
        List<java.net.InetAddress> external = new java.util.ArrayList<>();
        for (java.net.NetworkInterface nic : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
            if (nic.isUp()) {
                java.util.Collections.list(nic.getInetAddresses()).stream()
                        .filter(a -> !a.isLoopbackAddress() && !a.isAnyLocalAddress()).forEach(external::add);
            }
        }
        assertThat(get(iqPort, "/internal/v1/snapshots/bind-" + run).statusCode()).as("on loopback").isEqualTo(401);
        if (external.isEmpty()) {
            assertThat(java.net.InetAddress.getByName(app.iqBindHost()).isLoopbackAddress())
                    .as("no non-loopback address here: the IQ server is bound to loopback").isTrue();
            assertThat(java.net.InetAddress.getByName(app.managementBindHost()).isLoopbackAddress()).isTrue();
            return;
        }
        for (java.net.InetAddress address : external) {
            for (int port : List.of(iqPort, managementPort)) {
                try (java.net.Socket socket = new java.net.Socket()) {
                    org.assertj.core.api.Assertions.assertThatThrownBy(() -> socket.connect(
                            new java.net.InetSocketAddress(address, port), 2000))
                            .as("port %d on %s", port, address).isInstanceOf(java.io.IOException.class);
                }
            }
        }
    }

}

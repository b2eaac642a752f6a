package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.schemas.Topics;
import com.dbmetrics.schemas.config.Env;
import com.dbmetrics.schemas.config.KafkaClientSettings;
import com.dbmetrics.schemas.config.PemTrust;
import com.dbmetrics.schemas.config.RedisEndpoint;
import com.dbmetrics.schemas.testing.TestServices;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The services of {@code ./dbm test} are secured as {@code ./dbm up} secures them (issue 12): plaintext and anonymous
 * clients are refused by Kafka, Redis and Prometheus; each principal can do what it is granted and is refused the rest;
 * and the independent clients a user runs (kcat, the Kafka CLI tools, redis-cli, promtool) work with the documented
 * client settings (those {@code ./dbm status --json} names: the CA, kcat's librdkafka properties, the Java client
 * properties, user and password file).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SecurityIT {

    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(10);
    private final String runId = UUID.randomUUID().toString().substring(0, 8);

    @BeforeAll
    static void servicesAreSecured() {
        assertThat(TestServices.secured()).as("./dbm test starts the services secured (DBM_IT_KAFKA_CONFIG_DIR set)")
                .isTrue();
    }

    // ----------------------------------------------------------------------------------------------------- Kafka

    @Test
    void shouldRefuseAPlaintextKafkaClientOnTheSaslSslPort() {
        Map<String, Object> plain = new HashMap<>(KafkaClientSettings.plaintext(TestServices.kafkaBootstrap())
                .clientProperties());
        try (Admin admin = Admin.create(withShortTimeouts(plain))) {
            assertThatThrownBy(() -> admin.listTopics().names().get(15, TimeUnit.SECONDS))
                    .as("a PLAINTEXT client on the SASL_SSL listener")
                    .isInstanceOfAny(ExecutionException.class, TimeoutException.class);
        }
    }

    @Test
    void shouldRefuseKafkaSaslWithAWrongPassword() {
        Map<String, Object> props = TestServices.kafkaProperties(TestServices.KAFKA_OPERATOR);
        props.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"operator\" password=\"not-the-password\";");
        try (Admin admin = Admin.create(withShortTimeouts(props))) {
            assertThatThrownBy(() -> admin.listTopics().names().get(15, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(SaslAuthenticationException.class);
        }
    }

    @Test
    void shouldLetTheStreamsAppReadSnapshotsButNeverProduceThem() throws Exception {
        assertThat(readOnce(TestServices.KAFKA_STREAMS, Topics.SNAPSHOTS)).as("streams reads its input").isTrue();
        assertThat(produceTombstone(TestServices.KAFKA_STREAMS, Topics.LATEST)).as("streams writes its output")
                .isNull();
        assertThat(produceTombstone(TestServices.KAFKA_STREAMS, Topics.SNAPSHOTS))
                .isInstanceOf(TopicAuthorizationException.class);
    }

    @Test
    void shouldLetThePollerDescribeItsTopicsButNeverReadTheLatestView() throws Exception {
        try (Admin admin = Admin.create(withShortTimeouts(TestServices.kafkaProperties(TestServices.KAFKA_POLLER)))) {
            assertThat(admin.listTopics().names().get(15, TimeUnit.SECONDS))
                    .as("the topics the poller may see: its own")
                    .contains(Topics.SNAPSHOTS, Topics.POLLER_STATUS, Topics.POLLER_ELECTION)
                    .doesNotContain(Topics.LATEST, Topics.SNAPSHOTS_DLQ);
        }
        assertThatThrownBy(() -> readOnce(TestServices.KAFKA_POLLER, Topics.LATEST))
                .isInstanceOf(TopicAuthorizationException.class);
    }

    @Test
    void shouldLetTheOperatorReadEveryTopicAndBackfillSnapshotsButNeverWriteTheLatestView() throws Exception {
        try (Admin admin = Admin.create(withShortTimeouts(TestServices.kafkaProperties(TestServices.KAFKA_OPERATOR)))) {
            assertThat(admin.listTopics().names().get(15, TimeUnit.SECONDS)).contains(Topics.SNAPSHOTS, Topics.LATEST,
                    Topics.POLLER_STATUS, Topics.SNAPSHOTS_DLQ, Topics.POLLER_ELECTION);
        }
        assertThat(readOnce(TestServices.KAFKA_OPERATOR, Topics.LATEST)).isTrue();
        assertThat(produceTombstone(TestServices.KAFKA_OPERATOR, Topics.SNAPSHOTS)).as("a backfill's write").isNull();
        assertThat(produceTombstone(TestServices.KAFKA_OPERATOR, Topics.LATEST))
                .isInstanceOf(TopicAuthorizationException.class);
    }

    /** Reads the topic from the beginning without a group for a moment: true, or the authorization error thrown. */
    private static boolean readOnce(String principal, String topic) {
        Map<String, Object> props = withShortTimeouts(TestServices.kafkaProperties(principal));
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            consumer.seekToBeginning(consumer.assignment());
            consumer.poll(Duration.ofSeconds(3));
            return true;
        }
    }

    /**
     * Produces a tombstone under a key of this test only (no database has it; the tests that read these topics skip
     * tombstones): null when written, else the root cause of the failure.
     */
    private Throwable produceTombstone(String principal, String topic) throws InterruptedException {
        Map<String, Object> props = withShortTimeouts(TestServices.kafkaProperties(principal));
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props)) {
            producer.send(new ProducerRecord<>(topic, "security-it-" + runId, null)).get(30, TimeUnit.SECONDS);
            return null;
        } catch (Exception e) {
            if (e instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            Throwable cause = e;
            while (cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
            }
            return cause;
        }
    }

    private static Map<String, Object> withShortTimeouts(Map<String, Object> properties) {
        Map<String, Object> props = new HashMap<>(properties);
        props.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, (int) KAFKA_TIMEOUT.toMillis());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) KAFKA_TIMEOUT.toMillis());
        props.put(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
        return props;
    }

    // ----------------------------------------------------------------------------------------------------- Redis

    @Test
    void shouldRefuseAPlaintextRedisClient() {
        RedisEndpoint endpoint = TestServices.redisEndpoint(TestServices.REDIS_OPERATOR);
        assertThatThrownBy(() -> { // the server resets the connection at the first bytes (Jedis sends some at connect)
            try (Jedis plain = new Jedis(endpoint.host(), endpoint.port(), 3_000)) {
                plain.ping();
            }
        }).isInstanceOf(JedisConnectionException.class);
    }

    @Test
    void shouldRefuseARedisClientWithoutAUser() {
        Map<String, String> env = new HashMap<>(TestServices.redisEnv(TestServices.REDIS_OPERATOR));
        env.remove(RedisEndpoint.REDIS_USERNAME);
        env.remove(RedisEndpoint.REDIS_PASSWORD + "_FILE");
        RedisEndpoint anonymous = RedisEndpoint.fromEnv(new Env(env));
        assertThat(anonymous.tls()).as("TLS, as every client of the L2 cache").isTrue();
        try (JedisPooled redis = new JedisPooled(anonymous.hostAndPort(), anonymous.clientConfig(3_000, "anonymous"))) {
            assertThatThrownBy(() -> redis.get("dbm:{pg-demo-1}:fresh")).isInstanceOf(JedisDataException.class)
                    .hasMessageContaining("NOAUTH");
        }
    }

    @Test
    void shouldLetTheApiReadSnapshotKeysAndCountRateLimitsButNeverWriteASnapshotKey() {
        String fresh = "dbm:{security-it-" + runId + "}:fresh";
        String limit = "dbm:rl:security-it-" + runId;
        try (JedisPooled streams = TestServices.redis(TestServices.REDIS_STREAMS);
                JedisPooled api = TestServices.redis(TestServices.REDIS_API)) {
            streams.setex(fresh, 60, "{\"written\":\"by the streams-app\"}");
            assertThat(api.get(fresh)).isEqualTo("{\"written\":\"by the streams-app\"}");
            assertThatThrownBy(() -> api.set(fresh, "forged")).isInstanceOf(JedisDataException.class)
                    .hasMessageContaining("NOPERM");
            assertThatThrownBy(() -> api.eval("return redis.call('SET', KEYS[1], ARGV[1])", List.of(fresh),
                    List.of("forged"))).isInstanceOf(JedisDataException.class).hasMessageContaining("NOPERM");
            assertThatThrownBy(() -> api.del(fresh)).isInstanceOf(JedisDataException.class)
                    .hasMessageContaining("NOPERM");
            assertThat(streams.get(fresh)).isEqualTo("{\"written\":\"by the streams-app\"}");

            assertThat(api.incr(limit)).isEqualTo(1);
            assertThat(api.eval("local n = redis.call('INCR', KEYS[1]); redis.call('PEXPIRE', KEYS[1], 60000); "
                    + "return n", List.of(limit), List.of())).isEqualTo(2L);
            streams.del(fresh);
        }
    }

    @Test
    void shouldLetTheOperatorReadRedisButNeverWrite() {
        String fresh = "dbm:{security-it-op-" + runId + "}:fresh";
        try (JedisPooled streams = TestServices.redis(TestServices.REDIS_STREAMS);
                JedisPooled operator = TestServices.redis(TestServices.REDIS_OPERATOR)) {
            streams.setex(fresh, 60, "v");
            assertThat(operator.get(fresh)).isEqualTo("v");
            assertThatThrownBy(() -> operator.set(fresh, "w")).isInstanceOf(JedisDataException.class)
                    .hasMessageContaining("NOPERM");
            assertThatThrownBy(() -> operator.incr("dbm:rl:security-it-op-" + runId))
                    .isInstanceOf(JedisDataException.class).hasMessageContaining("NOPERM");
            streams.del(fresh);
        }
    }

    // ------------------------------------------------------------------------------------------------ Prometheus

    @Test
    void shouldRefusePrometheusOverPlainHttp() throws Exception {
        URI https = URI.create(TestServices.prometheusEnv(TestServices.PROMETHEUS_POLLER).get("PROMETHEUS_URL"));
        assertThat(https.getScheme()).isEqualTo("https");
        URI http = URI.create("http://" + https.getAuthority() + "/api/v1/query?query=vector(1)");
        HttpResponse<String> response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                .send(HttpRequest.newBuilder(http).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("plain HTTP to the HTTPS port").isEqualTo(400);
        assertThat(response.body()).doesNotContain("\"status\":\"success\"");
    }

    @Test
    void shouldAnswerPrometheusQueriesOnlyWithAUser() throws Exception {
        Map<String, String> env = TestServices.prometheusEnv(TestServices.PROMETHEUS_POLLER);
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .sslContext(PemTrust.sslContext("DBM_IT_CA_FILE", TestServices.caFile())).build();
        URI query = URI.create(env.get("PROMETHEUS_URL") + "/api/v1/query?query=vector(1)");
        String password = Files.readString(Path.of(env.get("PROMETHEUS_PASSWORD_FILE"))).strip();

        assertThat(status(client, query, null)).as("no credentials").isEqualTo(401);
        assertThat(status(client, query, basic("poller", "not-the-password"))).as("a wrong password").isEqualTo(401);
        assertThat(status(client, query, basic("poller", password))).as("the poller").isEqualTo(200);
    }

    private static int status(HttpClient client, URI uri, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------------- the clients a user runs, as documented

    @Test
    void shouldReadSnapshotsWithKcatAndTheOperatorsKcatConfig() throws Exception {
        String config = TestStack.require("DBM_IT_KCAT_CONFIG");
        Result read = run(Map.of(), "kcat", "-F", config, "-C", "-t", Topics.SNAPSHOTS, "-o", "beginning", "-e", "-q",
                "-c", "1");
        assertThat(read.exit()).as("kcat -F %s -C: %s", config, read.output()).isZero();
        Result write = runWithInput("security-it-" + runId + "|{}\n", Map.of(), "kcat", "-F", config, "-P", "-t",
                Topics.LATEST, "-K", "|");
        assertThat(write.exit()).as("kcat -P to %s as the operator: %s", Topics.LATEST, write.output()).isNotZero();
        assertThat(write.output()).contains("Topic authorization failed");
    }

    @Test
    void shouldListTopicsAndConsumeWithTheKafkaCliToolsAndTheOperatorsClientProperties() throws Exception {
        String properties = TestServices.kafkaEnv(TestServices.KAFKA_OPERATOR)
                .get(KafkaClientSettings.KAFKA_CLIENT_PROPERTIES_FILE);
        String classpath = TestStack.require("DBM_IT_KAFKA_LIBS") + "/*";
        Result list = run(Map.of(), "java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classpath,
                "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", TestServices.kafkaBootstrap(),
                "--command-config", properties, "--list");
        assertThat(list.exit()).as("TopicCommand --list: %s", list.output()).isZero();
        assertThat(list.output().lines()).contains(Topics.SNAPSHOTS, Topics.LATEST);

        Result consume = run(Map.of(), "java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classpath,
                "org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server", TestServices.kafkaBootstrap(),
                "--command-config", properties, "--topic", Topics.SNAPSHOTS, "--from-beginning", "--max-messages", "1",
                "--timeout-ms", "20000");
        assertThat(consume.output()).as("ConsoleConsumer as the operator").contains("Processed a total of 1 messages");
    }

    @Test
    void shouldAnswerRedisCliWithTlsAndAUserOnly() throws Exception {
        RedisEndpoint endpoint = TestServices.redisEndpoint(TestServices.REDIS_OPERATOR);
        String ca = TestServices.caFile().toString();
        String port = String.valueOf(endpoint.port());
        String password = Files.readString(Path.of(TestServices.redisEnv(TestServices.REDIS_OPERATOR)
                .get(RedisEndpoint.REDIS_PASSWORD + "_FILE"))).strip();

        Result ping = run(Map.of(), "redis-cli", "--tls", "--cacert", ca, "-h", endpoint.host(), "-p", port, "--user",
                "operator", "--pass", password, "--no-auth-warning", "PING");
        assertThat(ping.output().strip()).isEqualTo("PONG");
        Result set = run(Map.of(), "redis-cli", "--tls", "--cacert", ca, "-h", endpoint.host(), "-p", port, "--user",
                "operator", "--pass", password, "--no-auth-warning", "SET", "dbm:{security-it}:fresh", "x");
        assertThat(set.output()).contains("NOPERM");
        Result anonymous = run(Map.of(), "redis-cli", "--tls", "--cacert", ca, "-h", endpoint.host(), "-p", port,
                "PING");
        assertThat(anonymous.output()).contains("NOAUTH").doesNotContain("PONG");
        Result plain = run(Map.of(), "redis-cli", "-h", endpoint.host(), "-p", port, "PING");
        assertThat(plain.output()).doesNotContain("PONG");
    }

    @Test
    void shouldQueryPrometheusWithPromtoolOverHttpsAsAUser() throws Exception {
        Map<String, String> env = TestServices.prometheusEnv(TestServices.PROMETHEUS_POLLER);
        URI url = URI.create(env.get("PROMETHEUS_URL"));
        String password = Files.readString(Path.of(env.get("PROMETHEUS_PASSWORD_FILE"))).strip();
        Map<String, String> trust = Map.of("SSL_CERT_FILE", TestServices.caFile().toString()); // Go's client
        Result ok = run(trust, "promtool", "query", "instant",
                "https://poller:" + password + "@" + url.getAuthority(), "vector(2)");
        assertThat(ok.exit()).as("promtool: %s", ok.output()).isZero();
        assertThat(ok.output()).contains("=> 2");
        Result anonymous = run(trust, "promtool", "query", "instant", url.toString(), "vector(2)");
        assertThat(anonymous.exit()).as("promtool without a user: %s", anonymous.output()).isNotZero();
    }

    private record Result(int exit, String output) {}

    private static Result run(Map<String, String> env, String... command) throws IOException, InterruptedException {
        return runWithInput("", env, command);
    }

    /** Runs a command with extra environment and {@code input} on stdin, stdout and stderr together; a minute at most. */
    private static Result runWithInput(String input, Map<String, String> env, String... command)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException(command[0] + " is not installed: run the tests through ./dbm test", e);
        }
        try (var stdin = process.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command[0] + " did not finish within a minute: " + output);
        }
        return new Result(process.exitValue(), output);
    }
}

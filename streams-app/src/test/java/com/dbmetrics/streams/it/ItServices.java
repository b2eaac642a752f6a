package com.dbmetrics.streams.it;

import com.dbmetrics.schemas.testing.TestServices;
import com.dbmetrics.streams.StreamsAppConfig;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What the streams-app's integration tests give the apps they start and use themselves, on top of
 * {@link TestServices}: Kafka as a principal, Redis as the streams-app's ACL user, and the internal API's token in a
 * temporary {@code STREAMS_IQ_TOKEN_FILE}, which every instance of a test shares and its IQ requests carry.
 */
final class ItServices {

    /** The internal API's token of every instance a test starts. */
    static final String IQ_TOKEN = "it-internal-api-token-0123456789abcdef";
    private static Path tokenFile;

    private ItServices() {}

    /**
     * An instance's environment: Kafka as {@code kafkaPrincipal} (the admin for the unique topics and application ids
     * that the streams principal's ACLs do not name), Redis as the streams user, and the token file.
     */
    static Map<String, String> appEnv(String kafkaPrincipal) {
        Map<String, String> env = new LinkedHashMap<>(TestServices.kafkaEnv(kafkaPrincipal));
        env.putAll(TestServices.redisEnv(TestServices.REDIS_STREAMS));
        env.put(StreamsAppConfig.STREAMS_IQ_TOKEN_FILE, tokenFile().toString());
        return env;
    }

    static synchronized Path tokenFile() {
        if (tokenFile == null) {
            try {
                tokenFile = Files.createTempFile("it-iq-token", ".txt");
                Files.writeString(tokenFile, IQ_TOKEN + "\n", StandardCharsets.UTF_8);
                tokenFile.toFile().deleteOnExit();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return tokenFile;
    }

    /** The streams-app jar the process tests run (built in the package phase, before the integration tests). */
    static final File JAR = new File("target/dbmetrics-streams-app.jar");

    /**
     * Starts the jar as its own process: application {@code applicationId} (unique: Kafka as the admin), interactive
     * queries on {@code iqPort}, management on {@code managementPort}, state in {@code stateDir}, {@code standbys}
     * standby replicas; its output is appended to {@code stateDir}.log.
     */
    static Process startProcess(String applicationId, File stateDir, int iqPort, int managementPort,
            int standbys) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("java", "-Xmx256m", "-jar", JAR.getAbsolutePath())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(new File(stateDir.getPath() + ".log")));
        pb.environment().putAll(appEnv(TestServices.KAFKA_ADMIN));
        pb.environment().putAll(Map.of(
                "STREAMS_APPLICATION_ID", applicationId,
                "STREAMS_APPLICATION_SERVER", "127.0.0.1:" + iqPort,
                "STREAMS_MANAGEMENT_PORT", Integer.toString(managementPort),
                "STREAMS_STATE_DIR", stateDir.getPath(),
                "STREAMS_NUM_STANDBY_REPLICAS", Integer.toString(standbys)));
        return pb.start();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The status of {@code GET /internal/v1/snapshots/{id}} on the instance at {@code port}; -1: no answer. */
    static int snapshotStatus(HttpClient http, int port, String id) {
        try {
            return http.send(authorized(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/internal/v1/snapshots/" + id))).timeout(Duration.ofSeconds(3)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    /** {@code request} with the internal API's token. */
    static HttpRequest.Builder authorized(HttpRequest.Builder request) {
        return request.header("Authorization", "Bearer " + IQ_TOKEN);
    }

    /** A producer's properties as the Kafka admin (unique topics), with string keys and byte values. */
    static Map<String, Object> producerProperties() {
        Map<String, Object> properties = TestServices.kafkaProperties(TestServices.KAFKA_ADMIN);
        properties.put("key.serializer", StringSerializer.class);
        properties.put("value.serializer", ByteArraySerializer.class);
        return properties;
    }
}

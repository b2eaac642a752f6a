package com.dbmetrics.streams.it;

import com.dbmetrics.schemas.testing.TestServices;
import com.dbmetrics.streams.StreamsAppConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

package com.dbmetrics.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.schemas.config.ConfigException;
import com.dbmetrics.schemas.config.InternalToken;
import com.dbmetrics.streams.query.IqServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamsAppConfigTest {

    private static final String TOKEN = "iq-token-0123456789abcdef0123456789";

    private static Map<String, String> minimal() {
        Map<String, String> env = new HashMap<>();
        env.put(StreamsAppConfig.KAFKA_BOOTSTRAP_SERVERS, "127.0.0.1:9092");
        env.put(StreamsAppConfig.REDIS_URL, "redis://127.0.0.1:6379");
        env.put(IqServer.STREAMS_IQ_TOKEN, TOKEN);
        return env;
    }

    @Test
    void shouldPutTheManagementPortApartFromTheInteractiveQueryPortByDefault() {
        StreamsAppConfig config = StreamsAppConfig.fromEnv(minimal());

        assertThat(config.managementPort()).isEqualTo(7072);
        assertThat(config.applicationServer().port()).isEqualTo(7070);
    }

    @Test
    void shouldAcceptPortZeroForAnyFreeManagementPort() {
        Map<String, String> env = minimal();
        env.put(StreamsAppConfig.STREAMS_MANAGEMENT_PORT, "0");

        assertThat(StreamsAppConfig.fromEnv(env).managementPort()).isZero();
    }

    @Test
    void shouldRefuseAManagementPortOutOfRangeNamingTheVariable() {
        Map<String, String> env = minimal();
        env.put(StreamsAppConfig.STREAMS_MANAGEMENT_PORT, "65536");

        assertThatThrownBy(() -> StreamsAppConfig.fromEnv(env)).isInstanceOf(ConfigException.class)
                .hasMessage("STREAMS_MANAGEMENT_PORT must be 0-65535 but was 65536");
    }

    @Test
    void shouldBindBothServersToLoopbackByDefault() {
        StreamsAppConfig config = StreamsAppConfig.fromEnv(minimal());

        assertThat(config.iqBindHost()).isEqualTo("127.0.0.1");
        assertThat(config.managementBindHost()).isEqualTo("127.0.0.1");
    }

    @Test
    void shouldRefuseToStartWithoutTheInternalApiTokenNamingTheVariable() {
        Map<String, String> env = minimal();
        env.remove(IqServer.STREAMS_IQ_TOKEN);

        assertThatThrownBy(() -> StreamsAppConfig.fromEnv(env)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("STREAMS_IQ_TOKEN_FILE");
        assertThat(StreamsAppConfig.forResyncRedis(env).iqToken()).as("resync-redis serves no internal API")
                .isNotNull();
    }

    @Test
    void shouldReadTheTokenFromItsFileAndRefuseAShortOneWithoutShowingIt(@TempDir Path dir) throws Exception {
        Map<String, String> env = minimal();
        env.remove(IqServer.STREAMS_IQ_TOKEN);
        env.put(StreamsAppConfig.STREAMS_IQ_TOKEN_FILE, Files.writeString(dir.resolve("token"), TOKEN + "\n").toString());
        assertThat(StreamsAppConfig.fromEnv(env).iqToken()).hasToString("****");

        env.put(StreamsAppConfig.STREAMS_IQ_TOKEN_FILE, Files.writeString(dir.resolve("short"), "short-token").toString());
        assertThatThrownBy(() -> StreamsAppConfig.fromEnv(env)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("STREAMS_IQ_TOKEN_FILE").hasMessageContaining("32")
                .message().doesNotContain("short-token");
    }

    @Test
    void shouldReadRedisCredentialsAndKafkaSecurityWithoutShowingSecrets() {
        Map<String, String> env = minimal();
        env.put(StreamsAppConfig.REDIS_URL, "rediss://streams:redis-pass-42@redis.internal:6380/2");
        env.put("KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
        env.put("KAFKA_SASL_USERNAME", "streams");
        env.put("KAFKA_SASL_PASSWORD", "kafka-pass-42");
        StreamsAppConfig config = StreamsAppConfig.fromEnv(env);

        assertThat(config.redis().tls()).isTrue();
        assertThat(config.redis().username()).isEqualTo("streams");
        assertThat(config.redis().database()).isEqualTo(2);
        assertThat(StreamsApp.properties(config)).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("bootstrap.servers", "127.0.0.1:9092");
        assertThat(config.toString()).doesNotContain("redis-pass-42").doesNotContain("kafka-pass-42")
                .doesNotContain(TOKEN);
    }

}

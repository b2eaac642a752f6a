package com.dbmetrics.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.schemas.config.ConfigException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StreamsAppConfigTest {

    private static Map<String, String> minimal() {
        Map<String, String> env = new HashMap<>();
        env.put(StreamsAppConfig.KAFKA_BOOTSTRAP_SERVERS, "127.0.0.1:9092");
        env.put(StreamsAppConfig.REDIS_URL, "redis://127.0.0.1:6379");
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
}

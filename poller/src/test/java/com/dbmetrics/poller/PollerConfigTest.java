package com.dbmetrics.poller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.poller.catalogue.ResourceMode;
import com.dbmetrics.schemas.config.ConfigException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PollerConfigTest {

    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>(Map.of("PROMETHEUS_URL", "http://127.0.0.1:9090",
                "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"));
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    @Test
    void shouldDefaultToProcessMetricsFourInFlightAndTombstonesAfterThreeDiscoveries() {
        PollerConfig config = PollerConfig.fromEnv(env());

        assertThat(config.resourceMetrics()).isEqualTo(ResourceMode.PROCESS);
        assertThat(config.maxInFlight()).isEqualTo(4);
        assertThat(config.tombstoneAfter()).isEqualTo(3);
        assertThat(config.inventoryFile()).isEmpty();
    }

    @Test
    void shouldRefuseBadValuesNamingTheVariable() {
        assertThatThrownBy(() -> PollerConfig.fromEnv(env("POLLER_RESOURCE_METRICS", "vm")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("POLLER_RESOURCE_METRICS");
        assertThatThrownBy(() -> PollerConfig.fromEnv(env("POLLER_MAX_IN_FLIGHT", "21")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("POLLER_MAX_IN_FLIGHT");
        assertThatThrownBy(() -> PollerConfig.fromEnv(env("POLLER_MAX_IN_FLIGHT", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("POLLER_MAX_IN_FLIGHT");
        assertThatThrownBy(() -> PollerConfig.fromEnv(env("POLLER_TOMBSTONE_AFTER", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("POLLER_TOMBSTONE_AFTER");
        assertThatThrownBy(() -> PollerConfig.fromEnv(env("POLLER_MAX_RESPONSE_BYTES", "10")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("POLLER_MAX_RESPONSE_BYTES");
    }

    @Test
    void shouldAcceptContainerModeAndStaticInventory() {
        PollerConfig config = PollerConfig.fromEnv(env("POLLER_RESOURCE_METRICS", "container",
                "POLLER_INVENTORY_FILE", "/etc/dbm/inventory.json", "POLLER_MAX_IN_FLIGHT", "8"));

        assertThat(config.resourceMetrics()).isEqualTo(ResourceMode.CONTAINER);
        assertThat(config.inventoryFile()).contains("/etc/dbm/inventory.json");
        assertThat(config.maxInFlight()).isEqualTo(8);
    }

    @Test
    void shouldBindTheManagementServerToLoopbackAndConnectToKafkaInPlaintextByDefault() {
        PollerConfig config = PollerConfig.fromEnv(env());

        assertThat(config.bindHost()).isEqualTo("127.0.0.1");
        assertThat(config.kafka().clientProperties()).containsEntry("bootstrap.servers", "127.0.0.1:9092")
                .containsEntry("security.protocol", "PLAINTEXT");
        assertThat(config.prometheusAuth().describe()).isEqualTo("no credentials");
        assertThat(PollerConfig.fromEnv(env("POLLER_BIND_HOST", "0.0.0.0")).bindHost()).isEqualTo("0.0.0.0");
    }

    @Test
    void shouldRefuseCredentialsInThePrometheusUrlWithoutRepeatingThem() {
        assertThatThrownBy(() -> PollerConfig.fromEnv(env("PROMETHEUS_URL", "https://poller:hunter2@prom:9090")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PROMETHEUS_URL")
                .hasMessageContaining("PROMETHEUS_PASSWORD_FILE").message().doesNotContain("hunter2");
    }

    @Test
    void shouldReadSaslSettingsForEveryKafkaClientAndNeverShowThePassword() {
        PollerConfig config = PollerConfig.fromEnv(env("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
                "KAFKA_SASL_USERNAME", "poller", "KAFKA_SASL_PASSWORD", "kafka-secret-123"));

        assertThat(config.kafka().clientProperties()).containsEntry("sasl.mechanism", "SCRAM-SHA-512");
        assertThat(String.valueOf(config.kafka().clientProperties().get("sasl.jaas.config")))
                .contains("kafka-secret-123");
        assertThat(config.toString()).doesNotContain("kafka-secret-123");
        assertThatThrownBy(() -> PollerConfig.fromEnv(env("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("KAFKA_SASL_USERNAME");
    }

}

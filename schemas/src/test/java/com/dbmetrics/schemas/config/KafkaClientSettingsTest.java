package com.dbmetrics.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientSettingsTest {

    @TempDir
    Path dir;

    @Test
    void shouldBePlaintextWhenOnlyBootstrapIsSet() {
        KafkaClientSettings s = KafkaClientSettings.fromEnv(new Env(Map.of("KAFKA_BOOTSTRAP_SERVERS", "k:9092")));
        assertThat(s.clientProperties()).containsExactly(
                Map.entry("bootstrap.servers", "k:9092"), Map.entry("security.protocol", "PLAINTEXT"));
    }

    @Test
    void shouldBuildScramJaasAndPemTrustForSaslSsl() throws Exception {
        Path password = Files.writeString(dir.resolve("pw"), "s3cr\"et\n");
        Path ca = Files.writeString(dir.resolve("ca.pem"), "unused here");
        KafkaClientSettings s = KafkaClientSettings.fromEnv(new Env(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", "k:9093", "KAFKA_SECURITY_PROTOCOL", "sasl_ssl",
                "KAFKA_SASL_USERNAME", "poller", "KAFKA_SASL_PASSWORD_FILE", password.toString(),
                "KAFKA_SSL_CA_FILE", ca.toString())));
        assertThat(s.clientProperties())
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                        + " username=\"poller\" password=\"s3cr\\\"et\";")
                .containsEntry("ssl.truststore.type", "PEM")
                .containsEntry("ssl.truststore.location", ca.toString());
        assertThat(s.toString()).doesNotContain("s3cr").contains("SASL_SSL SCRAM-SHA-512 as poller");
        assertThat(s.describe()).isEqualTo("SASL_SSL SCRAM-SHA-512 as poller to k:9093");
    }

    @Test
    void shouldLetThePropertiesFileOverrideAndHideItsSecrets() throws Exception {
        Path props = Files.writeString(dir.resolve("client.properties"),
                "ssl.truststore.password=hunter2\nclient.dns.lookup=use_all_dns_ips\nsecurity.protocol=SSL\n");
        KafkaClientSettings s = KafkaClientSettings.fromEnv(new Env(Map.of("KAFKA_BOOTSTRAP_SERVERS", "k:1",
                "KAFKA_CLIENT_PROPERTIES_FILE", props.toString())));
        assertThat(s.clientProperties()).containsEntry("security.protocol", "SSL")
                .containsEntry("client.dns.lookup", "use_all_dns_ips").containsEntry("ssl.truststore.password", "hunter2");
        assertThat(s.toString()).doesNotContain("hunter2").contains("use_all_dns_ips");
    }

    @Test
    void shouldDescribeWhatThePropertiesFileSetsNotTheDefaults() throws Exception {
        Path props = Files.writeString(dir.resolve("poller.properties"), "security.protocol=SASL_SSL\n"
                + "sasl.mechanism=SCRAM-SHA-512\n"
                + "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"poller\" password=\"s3cret\";\n");
        KafkaClientSettings s = KafkaClientSettings.fromEnv(new Env(Map.of("KAFKA_BOOTSTRAP_SERVERS", "k:9093",
                "KAFKA_CLIENT_PROPERTIES_FILE", props.toString())));
        assertThat(s.describe()).isEqualTo("SASL_SSL SCRAM-SHA-512 as poller to k:9093");
        assertThat(s.toString()).doesNotContain("s3cret");
    }

    @Test
    void shouldRefuseSaslWithoutCredentialsNamingTheVariables() {
        assertThatThrownBy(() -> KafkaClientSettings.fromEnv(new Env(Map.of("KAFKA_BOOTSTRAP_SERVERS", "k:1",
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("KAFKA_SASL_USERNAME").hasMessageContaining("KAFKA_SASL_PASSWORD_FILE");
    }

    @Test
    void shouldRefuseAnUnknownProtocolAndAMissingFile() {
        assertThatThrownBy(() -> KafkaClientSettings.fromEnv(new Env(Map.of("KAFKA_BOOTSTRAP_SERVERS", "k:1",
                "KAFKA_SECURITY_PROTOCOL", "TLS"))))
                .hasMessageContaining("KAFKA_SECURITY_PROTOCOL must be one of").hasMessageContaining("\"TLS\"");
        assertThatThrownBy(() -> KafkaClientSettings.fromEnv(new Env(Map.of("KAFKA_BOOTSTRAP_SERVERS", "k:1",
                "KAFKA_SSL_CA_FILE", dir.resolve("missing.pem").toString()))))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("KAFKA_SSL_CA_FILE must name a readable file");
        assertThatThrownBy(() -> KafkaClientSettings.fromEnv(new Env(Map.of("KAFKA_BOOTSTRAP_SERVERS", "k:1",
                "KAFKA_SASL_PASSWORD_FILE", dir.resolve("nope").toString()))))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("KAFKA_SASL_PASSWORD_FILE must name");
    }
}

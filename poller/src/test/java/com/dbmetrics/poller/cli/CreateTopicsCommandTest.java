package com.dbmetrics.poller.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

/** create-topics without a broker: its configuration, its definition, and its one line when it fails. */
class CreateTopicsCommandTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Map<String, String> env, String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "create-topics";
        System.arraycopy(args, 0, command, 1, args.length);
        return CreateTopicsCommand.run(command, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Duration.ofMillis(500));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldDefineEveryTopicOfTheContractWithItsDefaults() {
        CreateTopicsConfig config = CreateTopicsConfig.fromEnv(Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092"));

        assertThat(config.topics()).extracting(NewTopic::name).containsExactly(Topics.SNAPSHOTS, Topics.LATEST,
                Topics.POLLER_STATUS, Topics.SNAPSHOTS_DLQ, Topics.POLLER_ELECTION);
        assertThat(config.topics()).extracting(NewTopic::numPartitions).containsExactly(6, 6, 1, 1, 1);
        assertThat(config.topics()).extracting(t -> t.replicationFactor()).containsOnly((short) 1);
        assertThat(config.topics()).extracting(t -> t.configs().get("cleanup.policy"))
                .containsExactly("delete", "compact", "compact", "delete", null);
        assertThat(config.topics().get(0).configs()).containsEntry("retention.ms", "604800000");
    }

    @Test
    void shouldApplyPartitionsToTheTopicsKeyedByDatabaseOnlyAndTakeReplicationAndRetention() {
        CreateTopicsConfig config = CreateTopicsConfig.fromEnv(Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092",
                "KAFKA_TOPIC_PARTITIONS", "12", "KAFKA_TOPIC_REPLICATION_FACTOR", "3",
                "SNAPSHOTS_RETENTION_MS", "3600000"));

        assertThat(config.topics()).extracting(NewTopic::numPartitions).containsExactly(12, 12, 1, 1, 1);
        assertThat(config.topics()).extracting(t -> t.replicationFactor()).containsOnly((short) 3);
        assertThat(config.topics().get(0).configs()).containsEntry("retention.ms", "3600000");
        assertThat(CreateTopicsConfig.fromEnv(Map.of("KAFKA_BOOTSTRAP_SERVERS", "k:9092",
                "KAFKA_TOPIC_REPLICATION_FACTOR", "-1")).topics()).extracting(t -> t.replicationFactor())
                .as("-1: the brokers' default").containsOnly((short) -1);
    }

    @Test
    void shouldRefuseBadValuesByName() {
        assertThatThrownBy(() -> CreateTopicsConfig.fromEnv(Map.of("KAFKA_BOOTSTRAP_SERVERS", "k:9092",
                "KAFKA_TOPIC_REPLICATION_FACTOR", "0"))).hasMessageContaining("KAFKA_TOPIC_REPLICATION_FACTOR");
        assertThatThrownBy(() -> CreateTopicsConfig.fromEnv(Map.of("KAFKA_BOOTSTRAP_SERVERS", "k:9092",
                "KAFKA_TOPIC_PARTITIONS", "0"))).hasMessageContaining("KAFKA_TOPIC_PARTITIONS");
        assertThatThrownBy(() -> CreateTopicsConfig.fromEnv(Map.of("KAFKA_BOOTSTRAP_SERVERS", "k:9092",
                "SNAPSHOTS_RETENTION_MS", "7d"))).hasMessageContaining("SNAPSHOTS_RETENTION_MS");
    }

    @Test
    void shouldFailWithOneLineNamingTheVariableWhenTheBootstrapServersAreMissing() {
        assertThat(run(Map.of())).isEqualTo(1);

        assertThat(err()).isEqualTo("create-topics: KAFKA_BOOTSTRAP_SERVERS must be set" + System.lineSeparator());
        assertThat(out.size()).isZero();
    }

    @Test
    void shouldFailWithOneLineAndNoStackTraceWhenKafkaDoesNotAnswer() {
        assertThat(run(Map.of("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1"))).isEqualTo(1);

        assertThat(err().lines()).hasSize(1).first().asString().startsWith("create-topics: Kafka at 127.0.0.1:1")
                .doesNotContain("Exception");
        assertThat(out.size()).isZero();
    }

    @Test
    void shouldRefuseArguments() {
        assertThat(run(Map.of("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1"), "--partitions", "3")).isEqualTo(2);
        assertThat(err().lines()).hasSize(1);
    }
}

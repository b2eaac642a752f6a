package com.dbmetrics.poller.cli;

import com.dbmetrics.poller.publish.TopicBootstrap;
import com.dbmetrics.schemas.config.ConfigException;
import com.dbmetrics.schemas.config.Env;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;

/** What {@code create-topics} reads; {@link #fromEnv} reads it and the constructor refuses bad values by name. */
public record CreateTopicsConfig(String kafkaBootstrapServers, short replicationFactor, int partitions,
        Duration snapshotsRetention) {

    /** Kafka bootstrap servers (as the poller reads them). */
    public static final String KAFKA_BOOTSTRAP_SERVERS = "KAFKA_BOOTSTRAP_SERVERS";
    /** Replication factor of every topic (default 1; -1 takes the brokers' default.replication.factor). */
    public static final String KAFKA_TOPIC_REPLICATION_FACTOR = "KAFKA_TOPIC_REPLICATION_FACTOR";
    /** Partitions of the topics keyed by database id, snapshots and latest (default 6); the others have one. */
    public static final String KAFKA_TOPIC_PARTITIONS = "KAFKA_TOPIC_PARTITIONS";
    /** Retention of dbmetrics.snapshots.v1 in milliseconds (default 604800000, 7 days). */
    public static final String SNAPSHOTS_RETENTION_MS = "SNAPSHOTS_RETENTION_MS";

    public CreateTopicsConfig {
        if (kafkaBootstrapServers == null || kafkaBootstrapServers.isBlank()) {
            throw new ConfigException(KAFKA_BOOTSTRAP_SERVERS + " must be set");
        }
        if (replicationFactor < 1 && replicationFactor != TopicBootstrap.BROKER_DEFAULT_REPLICATION) {
            throw new ConfigException(KAFKA_TOPIC_REPLICATION_FACTOR + " must be >= 1, or -1 for the brokers' default,"
                    + " but was " + replicationFactor);
        }
        Env.requireAtLeast(KAFKA_TOPIC_PARTITIONS, partitions, 1);
        if (snapshotsRetention == null || snapshotsRetention.toMillis() < 1) {
            throw new ConfigException(SNAPSHOTS_RETENTION_MS + " must be >= 1 but was "
                    + (snapshotsRetention == null ? null : snapshotsRetention.toMillis()));
        }
    }

    public static CreateTopicsConfig fromEnv(Map<String, String> variables) {
        Env env = new Env(variables);
        int replication = env.integer(KAFKA_TOPIC_REPLICATION_FACTOR, 1);
        if (replication > Short.MAX_VALUE || replication < Short.MIN_VALUE) {
            throw new ConfigException(KAFKA_TOPIC_REPLICATION_FACTOR + " must be >= 1, or -1 for the brokers' default,"
                    + " but was " + replication);
        }
        return new CreateTopicsConfig(
                env.required(KAFKA_BOOTSTRAP_SERVERS),
                (short) replication,
                env.integer(KAFKA_TOPIC_PARTITIONS, TopicBootstrap.DEFAULT_PARTITIONS),
                Duration.ofMillis(milliseconds(env, SNAPSHOTS_RETENTION_MS, TopicBootstrap.DEFAULT_RETENTION)));
    }

    /** The topics of the Kafka contract as configured. */
    public List<NewTopic> topics() {
        return TopicBootstrap.contract(partitions, snapshotsRetention, replicationFactor);
    }

    private static long milliseconds(Env env, String name, Duration fallback) {
        String value = env.string(name, null);
        if (value == null) {
            return fallback.toMillis();
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new ConfigException(name + " must be a number of milliseconds but was \"" + value + "\"");
        }
    }
}

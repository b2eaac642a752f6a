package com.dbmetrics.bench;

import com.dbmetrics.schemas.config.KafkaClientSettings;
import com.dbmetrics.schemas.config.RedisEndpoint;
import com.dbmetrics.streams.StreamsApp;
import com.dbmetrics.streams.StreamsAppConfig;
import com.dbmetrics.schemas.config.InternalToken;
import com.dbmetrics.streams.topology.MetricsTopology;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;

/**
 * The real streams-app ({@link StreamsApp#start}) on topics of its own, so a benchmark neither disturbs nor is
 * disturbed by the stack it runs beside. A variant names the settings a benchmark compares: {@code ours-eos-20ms} is
 * exactly_once_v2 with 20 ms commits, {@code ours-alos-100ms} at_least_once with 100 ms commits.
 */
final class PrivateStreamsApp {

    private static final String LOOPBACK = "127.0.0.1";

    private PrivateStreamsApp() {}

    static MetricsTopology.TopicNames topics(String prefix) {
        return new MetricsTopology.TopicNames(prefix + ".snapshots", prefix + ".latest", prefix + ".poller-status",
                prefix + ".dlq");
    }

    static void createTopics(Admin admin, MetricsTopology.TopicNames topics, int partitions)
            throws InterruptedException, ExecutionException {
        admin.createTopics(List.of(
                new NewTopic(topics.snapshots(), partitions, (short) 1),
                new NewTopic(topics.latest(), partitions, (short) 1)
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
                new NewTopic(topics.pollerStatus(), 1, (short) 1),
                new NewTopic(topics.deadLetters(), 1, (short) 1))).all().get();
    }

    static void deleteTopics(Admin admin, MetricsTopology.TopicNames topics)
            throws InterruptedException, ExecutionException {
        admin.deleteTopics(List.of(topics.snapshots(), topics.latest(), topics.pollerStatus(), topics.deadLetters()))
                .all().get();
    }

    /**
     * Starts variant {@code ours-<eos|alos>-<N>ms[-<T>t]} as application {@code appId}, mirror flushing every 10 ms,
     * with T stream threads (1 when not named), reaching Kafka and Redis as {@code kafka} and {@code redis} say; its
     * servers on loopback, a random internal-API token, no management port of its own.
     */
    static StreamsApp start(String variant, String appId, KafkaClientSettings kafka, RedisEndpoint redis,
            MetricsTopology.TopicNames topics, Path stateDir) throws IOException {
        String[] parts = withoutThreads(variant).split("-");
        if (parts.length != 3 || !"ours".equals(parts[0]) || !parts[2].endsWith("ms")) {
            throw new IllegalArgumentException("variant must look like ours-eos-20ms or ours-eos-20ms-2t but was "
                    + variant);
        }
        String guarantee = switch (parts[1]) {
            case "eos" -> StreamsConfig.EXACTLY_ONCE_V2;
            case "alos" -> StreamsConfig.AT_LEAST_ONCE;
            default -> throw new IllegalArgumentException("guarantee must be eos or alos in " + variant);
        };
        StreamsAppConfig config = new StreamsAppConfig(kafka, redis, appId, new HostInfo(LOOPBACK, freePort()),
                LOOPBACK, InternalToken.random(), LOOPBACK, 0, stateDir, guarantee,
                Duration.ofMillis(Long.parseLong(parts[2].replace("ms", ""))), 0, threads(variant),
                Duration.ofMinutes(10), Duration.ofMillis(10), 200_000, MetricsTopology.DEFAULT_HISTORY_RETENTION);
        return StreamsApp.start(config, topics);
    }

    /** The stream threads a variant names with its {@code -<T>t} suffix; 1 without one. */
    static int threads(String variant) {
        String base = withoutThreads(variant);
        return base.equals(variant) ? 1 : Integer.parseInt(variant.substring(base.length() + 1, variant.length() - 1));
    }

    /** The variant without its {@code -<T>t} suffix. */
    static String withoutThreads(String variant) {
        return variant.matches(".+-[1-9][0-9]*t") ? variant.substring(0, variant.lastIndexOf('-')) : variant;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

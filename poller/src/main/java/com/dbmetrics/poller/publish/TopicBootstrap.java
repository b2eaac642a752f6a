package com.dbmetrics.poller.publish;

import com.dbmetrics.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics the poller writes, with their configured partitions and retention, when they are missing (brokers
 * usually run with auto-create off). Existing topics are left exactly as they are. A broker that cannot be reached is
 * logged and left to the producer, which buffers and counts.
 */
public final class TopicBootstrap {

    private static final Logger log = LoggerFactory.getLogger(TopicBootstrap.class);

    private TopicBootstrap() {}

    /** The topics the poller needs, as it would create them. */
    public static List<NewTopic> topics(int snapshotPartitions, Duration retention) {
        return List.of(
                new NewTopic(Topics.SNAPSHOTS, snapshotPartitions, (short) -1).configs(Map.of(
                        "cleanup.policy", "delete", "retention.ms", Long.toString(retention.toMillis()))),
                new NewTopic(Topics.POLLER_STATUS, 1, (short) -1).configs(Map.of("cleanup.policy", "compact")),
                new NewTopic(Topics.POLLER_ELECTION, 1, (short) -1));
    }

    /** Creates what is missing; returns the names it created. */
    public static Set<String> ensure(String bootstrapServers, List<NewTopic> wanted) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000))) {
            Set<String> existing = admin.listTopics().names().get(10, TimeUnit.SECONDS);
            List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(10, TimeUnit.SECONDS);
                log.info("Created missing topics {}", missing.stream().map(NewTopic::name).toList());
            }
            return Set.copyOf(missing.stream().map(NewTopic::name).toList());
        } catch (ExecutionException | TimeoutException e) {
            log.warn("Could not check or create topics {} (the producer will buffer and count): {}",
                    wanted.stream().map(NewTopic::name).toList(), e.toString());
            return Set.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Set.of();
        }
    }
}

package com.dbmetrics.poller.publish;

import com.dbmetrics.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one definition of the Kafka contract's topics ({@link #contract}), which {@code create-topics} creates for
 * {@code ./dbm}, compose and Kubernetes, and the creation itself: missing topics are created with their partitions,
 * replication and configs; existing ones are left exactly as they are, and reported when their partition count or
 * cleanup policy differs from the definition. The poller also creates its own topics at start ({@link #ensure}).
 */
public final class TopicBootstrap {

    private static final Logger log = LoggerFactory.getLogger(TopicBootstrap.class);

    /** Partitions of the topics keyed by database ({@code snapshots}, {@code latest}) unless configured. */
    public static final int DEFAULT_PARTITIONS = 6;
    /** Retention of {@link Topics#SNAPSHOTS} unless configured. */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
    /** Replication factor meaning "the broker's {@code default.replication.factor}". */
    public static final short BROKER_DEFAULT_REPLICATION = -1;

    private static final Set<String> POLLERS_OWN = Set.of(Topics.SNAPSHOTS, Topics.POLLER_STATUS,
            Topics.POLLER_ELECTION);

    private TopicBootstrap() {}

    /**
     * Every topic of the Kafka contract: {@code partitions} for the two keyed by database id (the others have one),
     * {@code retention} for the snapshot history, every topic with {@code replication}.
     */
    public static List<NewTopic> contract(int partitions, Duration retention, short replication) {
        return List.of(
                topic(Topics.SNAPSHOTS, partitions, replication, Map.of(TopicConfig.CLEANUP_POLICY_CONFIG,
                        TopicConfig.CLEANUP_POLICY_DELETE, TopicConfig.RETENTION_MS_CONFIG,
                        Long.toString(retention.toMillis()))),
                topic(Topics.LATEST, partitions, replication,
                        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
                topic(Topics.POLLER_STATUS, 1, replication,
                        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
                topic(Topics.SNAPSHOTS_DLQ, 1, replication,
                        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE)),
                topic(Topics.POLLER_ELECTION, 1, replication, Map.of()));
    }

    /** The topics the poller writes, as it creates them at start when missing (the brokers' replication factor). */
    public static List<NewTopic> topics(int snapshotPartitions, Duration retention) {
        return contract(snapshotPartitions, retention, BROKER_DEFAULT_REPLICATION).stream()
                .filter(t -> POLLERS_OWN.contains(t.name())).toList();
    }

    private static NewTopic topic(String name, int partitions, short replication, Map<String, String> configs) {
        return new NewTopic(name, partitions, replication).configs(configs);
    }

    /** What {@link #apply} found or did for one topic. */
    public record Report(String topic, Outcome outcome, String detail) {

        public enum Outcome { CREATED, EXISTS, DIFFERS }

        /** One line for people: {@code dbmetrics.latest.v1: exists (6 partitions, cleanup.policy=compact)}. */
        public String line() {
            return topic + ": " + outcome.name().toLowerCase(Locale.ROOT) + " (" + detail + ")";
        }
    }

    /** Creates the missing topics of {@code wanted} and checks the existing ones; one report per topic, in order. */
    public static List<Report> apply(Admin admin, List<NewTopic> wanted, Duration timeout)
            throws ExecutionException, TimeoutException, InterruptedException {
        long ms = timeout.toMillis();
        Creation creation = createMissing(admin, wanted, ms);
        List<Report> reports = new ArrayList<>(creation.created());
        reports.addAll(check(admin, creation.existing(), ms));
        List<String> order = wanted.stream().map(NewTopic::name).toList();
        reports.sort(Comparator.comparingInt(r -> order.indexOf(r.topic())));
        return reports;
    }

    /** The topics created, and those that existed already (left as they are). */
    private record Creation(List<Report> created, List<NewTopic> existing) {}

    private static Creation createMissing(Admin admin, List<NewTopic> wanted, long ms)
            throws ExecutionException, TimeoutException, InterruptedException {
        Set<String> names = admin.listTopics().names().get(ms, TimeUnit.MILLISECONDS);
        List<NewTopic> missing = wanted.stream().filter(t -> !names.contains(t.name())).toList();
        Map<String, KafkaFuture<Void>> creating = missing.isEmpty() ? Map.of() : admin.createTopics(missing).values();
        List<Report> created = new ArrayList<>();
        List<NewTopic> existing = new ArrayList<>();
        for (NewTopic topic : wanted) {
            if (!creating.containsKey(topic.name())) {
                existing.add(topic);
                continue;
            }
            try {
                creating.get(topic.name()).get(ms, TimeUnit.MILLISECONDS);
                created.add(new Report(topic.name(), Report.Outcome.CREATED, describe(topic.numPartitions(),
                        configs(topic)) + ", replication factor " + replication(topic)));
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
                existing.add(topic); // created meanwhile by someone else
            }
        }
        return new Creation(created, existing);
    }

    private static List<Report> check(Admin admin, List<NewTopic> topics, long ms)
            throws ExecutionException, TimeoutException, InterruptedException {
        if (topics.isEmpty()) {
            return List.of();
        }
        List<String> names = topics.stream().map(NewTopic::name).toList();
        var descriptions = admin.describeTopics(names).allTopicNames().get(ms, TimeUnit.MILLISECONDS);
        List<ConfigResource> resources = names.stream()
                .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
        Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(ms, TimeUnit.MILLISECONDS);
        List<Report> reports = new ArrayList<>();
        for (NewTopic topic : topics) {
            int partitions = descriptions.get(topic.name()).partitions().size();
            ConfigEntry policy = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic.name()))
                    .get(TopicConfig.CLEANUP_POLICY_CONFIG);
            Map<String, String> actual = policy == null ? Map.of()
                    : Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, policy.value());
            reports.add(compare(topic, partitions, actual));
        }
        return reports;
    }

    /**
     * An existing topic against its definition: it differs when its partition count or its cleanup policy (where the
     * definition names one) is not the definition's. Retention and other settings may be tuned in place.
     */
    static Report compare(NewTopic wanted, int partitions, Map<String, String> actual) {
        List<String> differences = new ArrayList<>();
        if (partitions != wanted.numPartitions()) {
            differences.add(partitions + " partitions where the definition has " + wanted.numPartitions());
        }
        String policy = configs(wanted).get(TopicConfig.CLEANUP_POLICY_CONFIG);
        String actualPolicy = actual.get(TopicConfig.CLEANUP_POLICY_CONFIG);
        if (policy != null && !policy.equals(actualPolicy)) {
            differences.add("cleanup.policy=" + actualPolicy + " where the definition has " + policy);
        }
        return differences.isEmpty()
                ? new Report(wanted.name(), Report.Outcome.EXISTS, describe(partitions, actual))
                : new Report(wanted.name(), Report.Outcome.DIFFERS, String.join("; ", differences));
    }

    private static String describe(int partitions, Map<String, String> configs) {
        StringBuilder text = new StringBuilder(partitions + (partitions == 1 ? " partition" : " partitions"));
        new TreeMap<>(configs).forEach((k, v) -> text.append(", ").append(k).append('=').append(v));
        return text.toString();
    }

    private static Map<String, String> configs(NewTopic topic) {
        return topic.configs() == null ? Map.of() : topic.configs();
    }

    private static String replication(NewTopic topic) {
        return topic.replicationFactor() == BROKER_DEFAULT_REPLICATION ? "of the broker"
                : Short.toString(topic.replicationFactor());
    }

    /**
     * Creates what is missing, at the poller's start; returns the names it created. Existing topics are not even
     * described. A broker that cannot be reached is logged and left to the producer, which buffers and counts.
     */
    public static Set<String> ensure(String bootstrapServers, List<NewTopic> wanted) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000))) {
            List<String> created = createMissing(admin, wanted, 10_000).created().stream().map(Report::topic)
                    .toList();
            if (!created.isEmpty()) {
                log.info("Created missing topics {}", created);
            }
            return Set.copyOf(created);
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

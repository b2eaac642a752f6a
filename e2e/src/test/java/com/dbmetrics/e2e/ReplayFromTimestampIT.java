package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.Topics;
import com.dbmetrics.schemas.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Another service replaying the snapshots topic from a timestamp (docs/operations.md, "Replay history from a time"):
 * the Java example {@link ReplayFromTimestamp} and the guide's kcat command, run as written but on a topic of this
 * test, return the same records: in each partition those from the first one at or after the timestamp, committed ones
 * only.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReplayFromTimestampIT {

    private static final Path GUIDE = Path.of("..").toAbsolutePath().normalize().resolve("docs/operations.md");
    private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");
    private static final Instant CUT = T0.plusSeconds(50);

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String topic = "replay-it-" + run;
    private final JsonSerde<MetricsSnapshot> serde = JsonSerde.snapshots(Json.newMapper());
    /** Committed records as "timestamp TAB key TAB value" (NULL for a tombstone), with partition and offset. */
    private final List<Produced> committed = new ArrayList<>();

    private record Produced(int partition, long offset, long timestamp, String line) {}

    @Test
    void shouldReplayTheSameCommittedRecordsFromTheTimestampWithJavaAndKcat() throws Exception {
        try (Admin admin = Admin.create(TestServices.kafkaProperties(TestServices.KAFKA_ADMIN))) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
            if (TestServices.secured()) { // the operator (kcat's and the replay's identity) may read this topic too
                ResourcePattern pattern = new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL);
                admin.createAcls(List.of(AclOperation.READ, AclOperation.DESCRIBE).stream()
                        .map(op -> new AclBinding(pattern, new AccessControlEntry("User:" + TestServices.KAFKA_OPERATOR,
                                "*", op, AclPermissionType.ALLOW))).toList()).all().get();
            }
        }
        Map<String, Object> producerConfig = TestServices.kafkaProperties(TestServices.KAFKA_ADMIN);
        producerConfig.putAll(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "replay-it-" + run,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig)) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int s = 0; s <= 90; s += 10) { // partition 0: one exactly at the cut
                send(producer, 0, "a-" + run, T0.plusSeconds(s), true);
            }
            for (int s = 5; s <= 95; s += 10) { // partition 1: none exactly at it
                send(producer, 1, "b-" + run, T0.plusSeconds(s), true);
            }
            for (int s = 0; s <= 40; s += 10) { // partition 2: everything before it, so it starts at its end
                send(producer, 2, "c-" + run, T0.plusSeconds(s), true);
            }
            producer.commitTransaction();
            producer.beginTransaction(); // a fenced poller's tick: never replayed
            send(producer, 0, "a-" + run, T0.plusSeconds(100), false);
            send(producer, 1, "b-" + run, T0.plusSeconds(100), false);
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            send(producer, 0, "a-" + run, T0.minusSeconds(3600), true); // a backfill appended later: replayed too
            committed.add(record(producer, 1, "b-" + run, null, T0.plusSeconds(96))); // a tombstone
            producer.commitTransaction();
        }
        List<String> expected = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            int partition = p;
            long start = committed.stream()
                    .filter(r -> r.partition() == partition && r.timestamp() >= CUT.toEpochMilli())
                    .mapToLong(Produced::offset).min().orElse(Long.MAX_VALUE); // none: nothing from this partition
            committed.stream().filter(r -> r.partition() == partition && r.offset() >= start)
                    .forEach(r -> expected.add(r.line()));
        }
        assertThat(expected).hasSize(5 + 5 + 1 + 1); // a: 50..90 and the backfill; b: 55..95 and the tombstone

        List<String> java = new ArrayList<>();
        long count = ReplayFromTimestamp.replay(TestServices.kafkaProperties(TestServices.KAFKA_OPERATOR), topic, CUT, r -> java.add(line(r.timestamp(),
                r.key(), r.value() == null ? "NULL" : new String(r.value(), StandardCharsets.UTF_8))));

        assertThat(count).isEqualTo(expected.size());
        assertThat(java).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(kcat()).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void shouldQuoteTheJavaExampleAsWritten() throws Exception {
        String guide = Files.readString(GUIDE);
        int bullet = guide.indexOf("**Replay and bootstrap.**");
        int block = guide.indexOf("```java", bullet);
        assertThat(bullet).as("the guide's replay paragraph").isPositive();
        assertThat(block).as("its Java example").isPositive();
        String quoted = guide.substring(block + "```java".length(), guide.indexOf("```", block + 7));
        List<String> source = Files.readAllLines(Path.of("src/test/java/com/dbmetrics/e2e/ReplayFromTimestamp.java"))
                .stream().map(String::strip).toList();
        List<String> lines = quoted.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.equals("...")).toList();
        assertThat(lines).hasSizeGreaterThan(10);
        assertThat(source).containsAll(lines);
    }

    private void send(KafkaProducer<String, byte[]> producer, int partition, String key, Instant t,
            boolean commits) throws Exception {
        MetricsSnapshot snapshot = MetricsSnapshot.of(new DatabaseRef(key, key, "postgresql", "acme", "replay"), t, 10,
                Map.of(Metric.CONNECTIONS, (double) t.getEpochSecond()));
        Produced produced = record(producer, partition, key, serde.serialize(topic, snapshot), t);
        if (commits) {
            committed.add(produced);
        }
    }

    private Produced record(KafkaProducer<String, byte[]> producer, int partition, String key, byte[] value, Instant t)
            throws Exception {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, partition, t.toEpochMilli(), key, value);
        if (value != null && t.isBefore(T0)) {
            record.headers().add(Topics.HEADER_BACKFILL, "true".getBytes(StandardCharsets.UTF_8));
        }
        RecordMetadata sent = producer.send(record).get();
        return new Produced(partition, sent.offset(), t.toEpochMilli(),
                line(t.toEpochMilli(), key, value == null ? "NULL" : new String(value, StandardCharsets.UTF_8)));
    }

    private static String line(long timestamp, String key, String value) {
        return timestamp + "\t" + key + "\t" + value;
    }

    /**
     * The guide's kcat command, as written there, with the test stack's kcat config (broker, CA and the operator's
     * identity: DBM_IT_KCAT_CONFIG, where the guide names the up stack's), this test's topic and the cut.
     */
    private List<String> kcat() throws Exception {
        String command = Files.readAllLines(GUIDE).stream().map(String::strip).filter(l -> l.startsWith("kcat -C"))
                .findFirst().orElseThrow(() -> new AssertionError("docs/operations.md has no kcat -C command"));
        List<String> args = tokens(command);
        assertThat(args).as("the guide's kcat command reads its connection from a config file").contains("-F");
        args.set(args.indexOf("-F") + 1, TestStack.require("DBM_IT_KCAT_CONFIG"));
        args.set(args.indexOf("-t") + 1, topic);
        int offset = args.indexOf("-o") + 1;
        assertThat(args.get(offset)).startsWith("s@");
        args.set(offset, "s@" + CUT.toEpochMilli());
        Process kcat;
        try {
            kcat = new ProcessBuilder(args).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("kcat is not installed: run the tests through ./dbm test", e);
        }
        String out = new String(kcat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(kcat.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(kcat.exitValue()).as("kcat exit status").isZero();
        return out.lines().filter(l -> !l.isEmpty()).toList();
    }

    /** Splits a shell command on spaces, keeping single-quoted words whole (what the guide's command uses). */
    private static List<String> tokens(String command) {
        List<String> tokens = new ArrayList<>();
        StringBuilder token = new StringBuilder();
        boolean quoted = false;
        for (char c : command.toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
            } else if (c == ' ' && !quoted) {
                if (token.length() > 0) {
                    tokens.add(token.toString());
                    token.setLength(0);
                }
            } else {
                token.append(c);
            }
        }
        if (token.length() > 0) {
            tokens.add(token.toString());
        }
        return new ArrayList<>(tokens);
    }
}

package com.dbmetrics.poller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.poller.publish.TopicBootstrap;
import com.dbmetrics.poller.publish.TopicBootstrap.Report;
import com.dbmetrics.schemas.Topics;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code java -jar dbmetrics-poller.jar create-topics} against the real broker of the test stack: every topic of the
 * contract exists afterwards, a second run changes nothing, and a topic unlike its definition is reported.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CreateTopicsIT {

    private final String kafka = require("DBM_IT_KAFKA_BOOTSTRAP");

    @Test
    void shouldLeaveEveryTopicOfTheContractInPlaceRunAfterRunFromTheJar() throws Exception {
        for (int run = 0; run < 2; run++) {
            Process process = startJar();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).as("exit status; output:%n%s", out).isZero();
            assertThat(out.lines().toList()).as("one line per topic").hasSize(5)
                    .allMatch(line -> line.matches("dbmetrics\\.[a-z0-9.-]+: (created|exists) \\(.*\\)"));
            if (run == 1) {
                assertThat(out.lines()).as("the second run").allMatch(line -> line.contains(": exists ("));
            }
        }
        try (Admin admin = admin()) {
            assertThat(admin.listTopics().names().get()).contains(Topics.SNAPSHOTS, Topics.LATEST,
                    Topics.POLLER_STATUS, Topics.SNAPSHOTS_DLQ, Topics.POLLER_ELECTION);
        }
    }

    @Test
    void shouldCreateOnceAndReportATopicThatDiffersFromItsDefinition() throws Exception {
        String name = "create-topics-it-" + UUID.randomUUID();
        NewTopic defined = new NewTopic(name, 3, (short) 1).configs(Map.of("cleanup.policy", "compact"));
        NewTopic other = new NewTopic(name, 2, (short) 1).configs(Map.of("cleanup.policy", "delete"));
        try (Admin admin = admin()) {
            Duration timeout = Duration.ofSeconds(20);
            assertThat(TopicBootstrap.apply(admin, List.of(defined), timeout)).extracting(Report::outcome)
                    .containsExactly(Report.Outcome.CREATED);
            assertThat(TopicBootstrap.apply(admin, List.of(defined), timeout)).extracting(Report::line)
                    .containsExactly(name + ": exists (3 partitions, cleanup.policy=compact)");
            assertThat(TopicBootstrap.apply(admin, List.of(other), timeout)).extracting(Report::line)
                    .containsExactly(name + ": differs (3 partitions where the definition has 2; "
                            + "cleanup.policy=compact where the definition has delete)");
        }
    }

    private Process startJar() throws Exception {
        Path jar = Path.of("target", "dbmetrics-poller.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar.toAbsolutePath() + " is missing: the package phase builds it");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx128m", "-jar", jar.toString(), "create-topics")
                .redirectError(new File("target", "create-topics-it.err"));
        builder.environment().put("KAFKA_BOOTSTRAP_SERVERS", kafka);
        return builder.start();
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka));
    }

    private static String require(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set: run the integration tests through ./dbm test");
        }
        return value;
    }
}

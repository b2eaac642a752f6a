package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The operator's rules (deploy/monitoring) with Prometheus' own tool: {@code promtool check rules} accepts them,
 * {@code promtool test rules} runs their unit tests (each alert fires, and resolves, when it should), and every
 * metric of ours they read is one the apps export (a renamed metric would leave an alert that can never fire).
 * promtool comes with the prometheus package ./dbm installs; a machine without it fails here, loudly.
 */
class MonitoringRulesTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path DIR = ROOT.resolve("deploy/monitoring");
    /** Our metric names in PromQL (recorded series, named {@code dbm_api:...}, excluded). */
    private static final Pattern METRIC = Pattern.compile("\\b(dbm_[a-z_]+)\\b(?!:)");

    private static String promtool(String... args) throws Exception {
        String[] command = new String[args.length + 1];
        command[0] = "promtool";
        System.arraycopy(args, 0, command, 1, args.length);
        Process p = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("promtool %s:%n%s", String.join(" ", args), output).isZero();
        return output;
    }

    @Test
    void shouldPassPromtoolsCheckAndTheRulesOwnUnitTests() throws Exception {
        assertThat(promtool("check", "rules", "dbmetrics-rules.yml")).contains("SUCCESS");
        assertThat(promtool("test", "rules", "dbmetrics-rules.test.yml")).contains("SUCCESS");
    }

    @Test
    void shouldReadOnlyMetricsTheAppsExport() throws IOException {
        String rules = Files.readString(DIR.resolve("dbmetrics-rules.yml"));
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(rules);
        while (m.find()) {
            names.add(m.group(1).replaceAll("(_seconds)?(_count|_total)?$", ""));
        }
        String sources = javaSources();
        assertThat(names).isNotEmpty().allSatisfy(name -> assertThat(sources)
                .as("a metric the rules read, registered by some app: %s", name).contains("\"" + name + "\""));
    }

    private static String javaSources() throws IOException {
        StringBuilder all = new StringBuilder();
        for (String module : new String[] {"poller", "streams-app", "query-api"}) {
            try (Stream<Path> files = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    all.append(Files.readString(f));
                }
            }
        }
        return all.toString();
    }
}

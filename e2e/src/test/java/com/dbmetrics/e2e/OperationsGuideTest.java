package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.api.ApiConfig;
import com.dbmetrics.poller.PollerConfig;
import com.dbmetrics.schemas.RedisKeys;
import com.dbmetrics.schemas.config.RedisEndpoint;
import com.dbmetrics.schemas.config.RedisTopology;
import com.dbmetrics.streams.StreamsAppConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/operations.md} names only what exists: every {@code dbm_*} metric is registered by the code of one of
 * the three processes, every upper-case variable is read by a configuration record (or is a {@link RedisKeys}
 * constant), and every relative link points at a file. No services needed. The Java replay example is left out of the
 * variable check: its upper-case names are Kafka client constants, and {@code ReplayFromTimestampIT} checks it
 * against the compiled {@code ReplayFromTimestamp} line by line.
 */
class OperationsGuideTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private final String guide = read(ROOT.resolve("docs/operations.md"));
    /** The guide without its fenced Java examples. */
    private final String prose = guide.replaceAll("(?s)```java\\R.*?```", "");

    @Test
    void shouldNameOnlyMetricsTheProcessesRegister() {
        String sources = Stream.of("poller", "streams-app", "query-api")
                .map(module -> ROOT.resolve(module).resolve("src/main/java"))
                .flatMap(OperationsGuideTest::javaFiles).map(OperationsGuideTest::read)
                .collect(Collectors.joining("\n"));
        Set<String> named = matches(Pattern.compile("\\bdbm_[a-z0-9_]+"), 0);

        assertThat(named).as("metrics named in the guide").isNotEmpty();
        for (String name : named) {
            // as registered: Prometheus adds _total to counters and _seconds(_bucket|_count|_sum|_max) to timers
            String registered = name.replaceFirst("(_seconds(_bucket|_count|_sum|_max)?|_total)$", "");
            assertThat(sources.contains('"' + registered + '"') || sources.contains('"' + registered + "_total\""))
                    .as("%s registered as \"%s\" in poller, streams-app or query-api", name, registered).isTrue();
        }
    }

    @Test
    void shouldNameOnlyVariablesTheConfigurationRecordsRead() {
        Set<String> known = new TreeSet<>();
        for (Class<?> type : new Class<?>[] {PollerConfig.class, StreamsAppConfig.class, ApiConfig.class,
                RedisEndpoint.class, RedisTopology.class}) {
            known.addAll(variables(type));
        }
        for (Field field : RedisKeys.class.getFields()) {
            known.add(field.getName());
        }
        Set<String> named = matches(Pattern.compile("\\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\\b"), 0, prose);

        assertThat(named).as("variables named in the guide").isNotEmpty();
        assertThat(known).containsAll(named);
    }

    @Test
    void shouldLinkOnlyToFilesThatExist() {
        Set<String> links = matches(Pattern.compile("\\]\\((\\.\\./[^)#]+)"), 1);

        assertThat(links).isNotEmpty();
        for (String link : links) {
            assertThat(ROOT.resolve("docs").resolve(link).normalize()).as(link).exists();
        }
    }

    /** The environment variables a configuration record reads: its constants whose value is their own name. */
    private static Set<String> variables(Class<?> type) {
        Set<String> names = new TreeSet<>();
        for (Field field : type.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
                try {
                    if (field.getName().equals(field.get(null))) {
                        names.add(field.getName());
                    }
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return names;
    }

    private Set<String> matches(Pattern pattern, int group) {
        return matches(pattern, group, guide);
    }

    private static Set<String> matches(Pattern pattern, int group, String text) {
        Set<String> found = new TreeSet<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            found.add(m.group(group));
        }
        return found;
    }

    private static Stream<Path> javaFiles(Path folder) {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(f -> f.toString().endsWith(".java")).toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.api.ApiConfig;
import com.dbmetrics.poller.PollerConfig;
import com.dbmetrics.streams.StreamsAppConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/configuration.md} lists every environment variable of every process and command, and nothing else.
 * What the code reads is found in each module's main sources: the {@code public static final String} constants
 * whose value is their own name, the convention of every configuration record ({@code PollerConfig},
 * {@code StreamsAppConfig}, {@code ApiConfig} and the records of the {@code backfill}, {@code create-topics},
 * {@code resync-redis} and {@code token} commands). Source parsing rather than reflection, so a command's record
 * is checked without being named here. What the document lists is the first column of the tables under the
 * headings of that process ({@code ## poller}, {@code ### poller `backfill`}, ...). Constants of the shared
 * {@code schemas} classes a process uses count as that process's. No services needed.
 */
class ConfigurationGuideTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path GUIDE = ROOT.resolve("docs/configuration.md");
    private static final List<String> PROCESSES = List.of("poller", "streams-app", "query-api");
    private static final Pattern VARIABLE = Pattern.compile("\\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\\b");
    private static final Pattern CONSTANT = Pattern.compile(
            "public\\s+static\\s+final\\s+String\\s+([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\\s*=\\s*\"\\1\"\\s*;");

    private final String guide = read(GUIDE);

    @Test
    void shouldFindTheVariablesOfEveryConfigurationRecordInTheSources() {
        // the parser sees at least what reflection sees on the three process records
        assertThat(variablesInSources("poller")).containsAll(ConfigVariables.of(PollerConfig.class));
        assertThat(variablesInSources("streams-app")).containsAll(ConfigVariables.of(StreamsAppConfig.class));
        assertThat(variablesInSources("query-api")).containsAll(ConfigVariables.of(ApiConfig.class));
    }

    @Test
    void shouldListEveryVariableEachProcessReads() {
        Map<String, Set<String>> documented = documentedByProcess();
        for (String process : PROCESSES) {
            assertThat(documented.get(process)).as("variables in the %s tables of docs/configuration.md", process)
                    .containsAll(variablesInSources(process));
        }
    }

    @Test
    void shouldListOnlyVariablesTheProcessReads() {
        Map<String, Set<String>> documented = documentedByProcess();
        for (String process : PROCESSES) {
            assertThat(variablesInSources(process))
                    .as("variables the %s reads (constants of its configuration records)", process)
                    .containsAll(documented.get(process));
        }
    }

    @Test
    void shouldNameOnlyVariablesSomeProcessReadsAnywhereInTheGuide() {
        Set<String> known = new TreeSet<>();
        PROCESSES.forEach(process -> known.addAll(variablesInSources(process)));
        Set<String> named = new TreeSet<>();
        Matcher m = VARIABLE.matcher(guide);
        while (m.find()) {
            named.add(m.group());
        }
        assertThat(known).as("variables read by poller, streams-app or query-api").containsAll(named);
    }

    @Test
    void shouldGiveEveryVariableADefaultAndAMeaning() {
        for (Row row : rows()) {
            assertThat(row.cells()).as("columns of %s", row.line()).hasSize(3);
            assertThat(row.cells().get(1)).as("default in %s", row.line()).isNotBlank();
            assertThat(row.cells().get(2)).as("meaning in %s", row.line()).isNotBlank();
        }
    }

    /** The variables named in the first column of the tables under each process's headings. */
    private Map<String, Set<String>> documentedByProcess() {
        Map<String, Set<String>> documented = new TreeMap<>();
        PROCESSES.forEach(process -> documented.put(process, new TreeSet<>()));
        for (Row row : rows()) {
            assertThat(row.process()).as("process of the heading above %s", row.line()).isIn(PROCESSES);
            Matcher m = VARIABLE.matcher(row.cells().get(0));
            assertThat(m.find()).as("a variable in the first column of %s", row.line()).isTrue();
            do {
                documented.get(row.process()).add(m.group());
            } while (m.find());
        }
        documented.values().forEach(names -> assertThat(names).isNotEmpty());
        return documented;
    }

    private record Row(String process, String line, List<String> cells) {}

    /** Table rows below their header and separator, each with the process named by the heading above it. */
    private List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        String process = null;
        for (String line : guide.lines().toList()) {
            if (line.startsWith("## ") || line.startsWith("### ")) {
                String heading = line.replaceFirst("^#+\\s+", "").replace("`", "");
                process = heading.split("\\s+")[0];
            } else if (line.startsWith("|") && !line.startsWith("|---") && !line.startsWith("| variable ")) {
                List<String> cells = new ArrayList<>();
                for (String cell : line.substring(1, line.lastIndexOf('|')).split("(?<!\\\\)\\|")) {
                    cells.add(cell.strip());
                }
                rows.add(new Row(process, line, cells));
            }
        }
        assertThat(rows).as("table rows of docs/configuration.md").isNotEmpty();
        return rows;
    }

    private static final Map<String, Set<String>> SOURCES = new LinkedHashMap<>();

    /**
     * The self-named public String constants a process's records read: those in its module's main sources, plus
     * those of the shared {@code schemas} classes its sources use, directly or through each other (e.g. client
     * settings every process reads alike).
     */
    private static synchronized Set<String> variablesInSources(String module) {
        return SOURCES.computeIfAbsent(module, name -> {
            StringBuilder sources = new StringBuilder(javaSources(ROOT.resolve(name)));
            Set<String> names = constants(sources.toString());
            // shared classes used by the process, and those they use in turn (RedisEndpoint reads RedisTopology's)
            List<Path> unused = new ArrayList<>(javaFiles(ROOT.resolve("schemas")));
            boolean found = true;
            while (found) {
                found = false;
                for (Path shared : List.copyOf(unused)) {
                    String type = shared.getFileName().toString().replaceFirst("\\.java$", "");
                    if (Pattern.compile("(?<![\\w.])" + type + "(?!\\w)").matcher(sources).find()) {
                        String source = read(shared);
                        names.addAll(constants(source));
                        sources.append(source).append('\n');
                        unused.remove(shared);
                        found = true;
                    }
                }
            }
            assertThat(names).as("variables in the sources of %s", name).isNotEmpty();
            return names;
        });
    }

    private static Set<String> constants(String source) {
        Set<String> names = new TreeSet<>();
        Matcher m = CONSTANT.matcher(source);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static String javaSources(Path module) {
        StringBuilder all = new StringBuilder();
        javaFiles(module).forEach(file -> all.append(read(file)).append('\n'));
        return all.toString();
    }

    private static List<Path> javaFiles(Path module) {
        try (Stream<Path> files = Files.walk(module.resolve("src/main/java"))) {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
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

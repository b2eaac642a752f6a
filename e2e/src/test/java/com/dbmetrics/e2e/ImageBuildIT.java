package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reproduces the build stage of {@code deploy/docker/Dockerfile} on this machine (no Docker engine here): an empty
 * folder gets exactly what the stage's {@code COPY} lines copy (minus {@code .dockerignore}), then the stage's
 * {@code RUN} lines run there, Maven offline (the outer build has already resolved every artifact; the image build
 * resolves them online). The jar the runtime stage copies must exist and start. A module, resource or step missing
 * from the Dockerfile fails here, as it would fail {@code docker build}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ImageBuildIT {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize(); // e2e/ is the working directory
    private static final Pattern COPY = Pattern.compile("^COPY\\s+(?!--from)(.+)$");
    private static final Pattern RUN = Pattern.compile("^RUN\\s+(.+)$");
    private static final Pattern RUNTIME_COPY = Pattern.compile("^COPY\\s+--from=build\\s+(\\S+)\\s+(\\S+)$");
    private static final Pattern ENTRYPOINT = Pattern.compile("^ENTRYPOINT\\s+\\[(.+)]$");

    @TempDir
    Path context;

    @ParameterizedTest
    @ValueSource(strings = {"poller", "streams-app", "query-api"})
    void shouldBuildAndStartTheServiceFromExactlyWhatTheBuildStageCopies(String service) throws Exception {
        List<String> instructions = instructions(Files.readString(ROOT.resolve("deploy/docker/Dockerfile")));
        int runtime = indexOfSecondFrom(instructions);
        List<PathMatcher> ignored = dockerignore();
        Path src = context.resolve("src");
        Files.createDirectories(src);

        for (String line : instructions.subList(0, runtime)) {
            Matcher copy = COPY.matcher(line);
            Matcher run = RUN.matcher(line);
            if (copy.matches()) {
                String[] parts = copy.group(1).trim().split("\\s+");
                String dest = parts[parts.length - 1];
                boolean destIsDirectory = dest.endsWith("/") || dest.equals(".") || parts.length > 2;
                for (int i = 0; i < parts.length - 1; i++) {
                    Path from = ROOT.resolve(parts[i]);
                    // a file goes into a directory destination under its own name; a directory's contents are copied
                    Path to = Files.isRegularFile(from) && destIsDirectory
                            ? src.resolve(dest).resolve(from.getFileName().toString()) : src.resolve(dest);
                    copy(from, to, ignored);
                }
            } else if (run.matches()) {
                String command = run.group(1).replace("${SERVICE}", service).replaceAll("\\bmvn\\b", "mvn -o");
                Process p = new ProcessBuilder("bash", "-c", command).directory(src.toFile())
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(p.waitFor()).as("RUN %s failed:%n%s", command, out).isZero();
            }
        }

        // what the runtime stage copies from the build stage (its destination in the image -> our copy), each present
        Map<String, String> image = new HashMap<>();
        for (String line : instructions.subList(runtime, instructions.size())) {
            Matcher copy = RUNTIME_COPY.matcher(line);
            if (copy.matches()) {
                Path built = context.resolve(copy.group(1).replace("${SERVICE}", service).substring(1)); // /src/...
                assertThat(built).as("what the runtime stage copies to %s", copy.group(2)).isRegularFile();
                image.put(copy.group(2), built.toString());
            }
        }
        assertThat(image).as("the runtime stage copies the jar").containsKey("/app/app.jar");

        // It starts, as the image's entry point starts it (its JVM options file included): with no configuration it
        // refuses at once, naming a variable, without a stack trace.
        List<String> entrypoint = instructions.subList(runtime, instructions.size()).stream().map(ENTRYPOINT::matcher)
                .filter(Matcher::matches).findFirst().map(m -> Arrays.stream(m.group(1).split(","))
                        .map(word -> word.strip().replaceAll("^\"|\"$", ""))
                        .map(word -> word.startsWith("@") // an argument file
                                ? "@" + image.getOrDefault(word.substring(1), word.substring(1))
                                : image.getOrDefault(word, word))
                        .toList())
                .orElseThrow(() -> new AssertionError("the runtime stage has no ENTRYPOINT [...]"));
        assertThat(entrypoint).as("the entry point runs the jar it copies").contains(image.get("/app/app.jar"));
        ProcessBuilder p = new ProcessBuilder(entrypoint).redirectErrorStream(true);
        p.environment().clear();
        p.environment().put("PATH", System.getenv("PATH"));
        Process started = p.start();
        assertThat(started.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(started.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(started.exitValue()).as(out).isNotZero();
        assertThat(out).contains("must be set").doesNotContain("\tat ").doesNotContain("Exception in thread");
    }

    /** Dockerfile instructions, continuation lines joined, comments and blank lines dropped. */
    static List<String> instructions(String dockerfile) {
        List<String> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : dockerfile.split("\n")) {
            String line = raw.strip();
            if (current.isEmpty() && (line.isEmpty() || line.startsWith("#"))) {
                continue;
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
            } else {
                result.add(current.append(line).toString().strip());
                current.setLength(0);
            }
        }
        return result;
    }

    private static int indexOfSecondFrom(List<String> instructions) {
        int seen = 0;
        for (int i = 0; i < instructions.size(); i++) {
            if (instructions.get(i).startsWith("FROM ") && seen++ == 1) {
                return i;
            }
        }
        throw new AssertionError("the Dockerfile has no runtime stage");
    }

    private static List<PathMatcher> dockerignore() throws IOException {
        Path file = ROOT.resolve(".dockerignore");
        List<PathMatcher> matchers = new ArrayList<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file)) {
                String pattern = line.strip();
                if (!pattern.isEmpty() && !pattern.startsWith("#")) {
                    matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + pattern));
                }
            }
        }
        return matchers;
    }

    private static void copy(Path from, Path to, List<PathMatcher> ignored) throws IOException {
        assertThat(from).as("COPY source %s", ROOT.relativize(from)).exists();
        if (Files.isRegularFile(from)) {
            Files.createDirectories(to.getParent());
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING); // COPY overwrites
            return;
        }
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path relative = ROOT.relativize(f);
                if (ignored.stream().anyMatch(m -> m.matches(relative))
                        || ignored.stream().anyMatch(m -> parents(relative).anyMatch(m::matches))) {
                    continue;
                }
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static Stream<Path> parents(Path p) {
        List<Path> all = new ArrayList<>();
        for (Path q = p.getParent(); q != null; q = q.getParent()) {
            all.add(q);
        }
        return all.stream();
    }
}

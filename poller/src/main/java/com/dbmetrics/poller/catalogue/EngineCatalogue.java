package com.dbmetrics.poller.catalogue;

import com.dbmetrics.schemas.Metric;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * For each engine, the PromQL that yields each metric for every database of that engine at once ({@code by
 * (database_id)}). Loaded from the built-in {@code engines.json} or from a file with the same shape. An engine that
 * leaves out {@code cpu_usage} or {@code memory_usage} gets them from the catalogue's {@code resource_metrics} of the
 * chosen {@link ResourceMode}, with {@code ${engine}} replaced by the engine's name. Keys starting with {@code _} are
 * comments.
 */
public final class EngineCatalogue {

    private static final String BUILT_IN = "/engines.json";
    /** Placeholder for the engine name in resource-metric templates. */
    static final String ENGINE_PLACEHOLDER = "${engine}";

    private final Map<String, Map<Metric, String>> queries;

    EngineCatalogue(Map<String, Map<Metric, String>> queries) {
        this.queries = Collections.unmodifiableMap(new TreeMap<>(queries));
    }

    /** The built-in catalogue with process metrics for CPU and memory where an exporter has none. */
    public static EngineCatalogue builtIn(ObjectMapper mapper) {
        return builtIn(mapper, ResourceMode.PROCESS);
    }

    public static EngineCatalogue builtIn(ObjectMapper mapper, ResourceMode mode) {
        try (InputStream in = EngineCatalogue.class.getResourceAsStream(BUILT_IN)) {
            if (in == null) {
                throw new IllegalStateException("built-in catalogue " + BUILT_IN + " is not on the classpath");
            }
            return parse(mapper.readTree(in), BUILT_IN, mode);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The catalogue of {@code file} when there is one ({@code POLLER_QUERIES_FILE}), else the built-in one. */
    public static EngineCatalogue load(ObjectMapper mapper, Optional<String> file, ResourceMode mode) {
        return file.map(f -> fromFile(mapper, Path.of(f), mode)).orElseGet(() -> builtIn(mapper, mode));
    }

    public static EngineCatalogue fromFile(ObjectMapper mapper, Path file, ResourceMode mode) {
        try {
            return parse(mapper.readTree(Files.readAllBytes(file)), file.toString(), mode);
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read query catalogue " + file + ": " + e.getMessage(), e);
        }
    }

    static EngineCatalogue parse(JsonNode root, String source, ResourceMode mode) {
        JsonNode engines = root.path("engines");
        if (!engines.isObject() || engines.isEmpty()) {
            throw new IllegalArgumentException("query catalogue " + source + " must have a non-empty \"engines\" object");
        }
        Map<Metric, String> resources = metrics(root.path("resource_metrics").path(mode.configName()), source,
                "resource_metrics." + mode.configName());
        Map<String, Map<Metric, String>> queries = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = engines.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> engine = it.next();
            if (engine.getKey().startsWith("_")) {
                continue;
            }
            Map<Metric, String> byMetric = metrics(engine.getValue(), source, engine.getKey());
            for (Map.Entry<Metric, String> resource : resources.entrySet()) {
                byMetric.putIfAbsent(resource.getKey(),
                        resource.getValue().replace(ENGINE_PLACEHOLDER, engine.getKey()));
            }
            queries.put(engine.getKey(), Collections.unmodifiableMap(byMetric));
        }
        return new EngineCatalogue(queries);
    }

    private static Map<Metric, String> metrics(JsonNode node, String source, String where) {
        Map<Metric, String> byMetric = new EnumMap<>(Metric.class);
        for (Iterator<Map.Entry<String, JsonNode>> m = node.fields(); m.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = m.next();
            if (entry.getKey().startsWith("_")) {
                continue;
            }
            Metric metric = Metric.fromWireName(entry.getKey()).orElseThrow(() -> new IllegalArgumentException(
                    "query catalogue " + source + ": unknown metric " + entry.getKey() + " in " + where));
            if (!entry.getValue().isTextual() || entry.getValue().asText().isBlank()) {
                throw new IllegalArgumentException("query catalogue " + source + ": " + where + "."
                        + entry.getKey() + " must be a PromQL string");
            }
            byMetric.put(metric, entry.getValue().asText());
        }
        return byMetric;
    }

    public Set<String> engines() {
        return queries.keySet();
    }

    /** The queries of {@code engine}, metric by metric; empty when the catalogue does not know the engine. */
    public Optional<Map<Metric, String>> queries(String engine) {
        return Optional.ofNullable(queries.get(engine));
    }
}

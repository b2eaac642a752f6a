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
 * (database_id)}). Loaded from the built-in {@code engines.json} or from a file with the same shape.
 */
public final class EngineCatalogue {

    private static final String BUILT_IN = "/engines.json";

    private final Map<String, Map<Metric, String>> queries;

    EngineCatalogue(Map<String, Map<Metric, String>> queries) {
        this.queries = Collections.unmodifiableMap(new TreeMap<>(queries));
    }

    public static EngineCatalogue builtIn(ObjectMapper mapper) {
        try (InputStream in = EngineCatalogue.class.getResourceAsStream(BUILT_IN)) {
            if (in == null) {
                throw new IllegalStateException("built-in catalogue " + BUILT_IN + " is not on the classpath");
            }
            return parse(mapper.readTree(in), BUILT_IN);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static EngineCatalogue fromFile(ObjectMapper mapper, Path file) {
        try {
            return parse(mapper.readTree(Files.readAllBytes(file)), file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read query catalogue " + file + ": " + e.getMessage(), e);
        }
    }

    static EngineCatalogue parse(JsonNode root, String source) {
        JsonNode engines = root.path("engines");
        if (!engines.isObject() || engines.isEmpty()) {
            throw new IllegalArgumentException("query catalogue " + source + " must have a non-empty \"engines\" object");
        }
        Map<String, Map<Metric, String>> queries = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = engines.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> engine = it.next();
            Map<Metric, String> byMetric = new EnumMap<>(Metric.class);
            for (Iterator<Map.Entry<String, JsonNode>> m = engine.getValue().fields(); m.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = m.next();
                Metric metric = Metric.fromWireName(entry.getKey()).orElseThrow(() -> new IllegalArgumentException(
                        "query catalogue " + source + ": unknown metric " + entry.getKey() + " for engine "
                                + engine.getKey()));
                if (!entry.getValue().isTextual() || entry.getValue().asText().isBlank()) {
                    throw new IllegalArgumentException("query catalogue " + source + ": " + engine.getKey() + "."
                            + entry.getKey() + " must be a PromQL string");
                }
                byMetric.put(metric, entry.getValue().asText());
            }
            queries.put(engine.getKey(), Collections.unmodifiableMap(byMetric));
        }
        return new EngineCatalogue(queries);
    }

    public Set<String> engines() {
        return queries.keySet();
    }

    /** The queries of {@code engine}, metric by metric; empty when the catalogue does not know the engine. */
    public Optional<Map<Metric, String>> queries(String engine) {
        return Optional.ofNullable(queries.get(engine));
    }
}

package com.dbmetrics.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class MetricsSnapshotSerdeTest {

    private final ObjectMapper mapper = Json.newMapper();
    private final JsonSerde<MetricsSnapshot> serde = JsonSerde.snapshots(mapper);
    private final JsonSchema schema = SchemaFiles.load("metrics-snapshot.v1.schema.json");

    static MetricsSnapshot sample() {
        Map<Metric, Double> values = new EnumMap<>(Metric.class);
        values.put(Metric.CPU_USAGE, 0.45);
        values.put(Metric.MEMORY_USAGE, 1_073_741_824d);
        values.put(Metric.OPERATIONS_PER_SEC, 1250d);
        values.put(Metric.CONNECTIONS, 42d);
        values.put(Metric.STORAGE_SIZE, 10_737_418_240d);
        return MetricsSnapshot.of(new DatabaseRef("abc123", "my-database", "postgresql", "acme", "shop"),
                Instant.parse("2025-11-25T10:30:00Z"), 15, values);
    }

    @Test
    void shouldWriteTheArchitectureExampleExactly() throws Exception {
        String json = new String(serde.serialize("t", sample()), StandardCharsets.UTF_8);

        assertThat(mapper.readTree(json)).isEqualTo(mapper.readTree("""
                { "schema_version": 1, "database_id": "abc123", "database_name": "my-database", "engine": "postgresql",
                  "domain": "acme", "project": "shop", "timestamp": "2025-11-25T10:30:00Z", "interval_seconds": 15,
                  "metrics": { "cpu_usage": 0.45, "memory_usage": 1073741824, "operations_per_sec": 1250,
                               "connections": 42, "storage_size": 10737418240 },
                  "missing": [] }"""));
        assertThat(json).contains("\"memory_usage\":1073741824,").doesNotContain("E9");
    }

    @Test
    void shouldValidateAgainstPublishedSchemaAndRoundTrip() {
        byte[] bytes = serde.serialize("t", sample());

        assertThat(SchemaFiles.errors(schema, readTree(bytes))).isEmpty();
        assertThat(serde.deserialize("t", bytes)).isEqualTo(sample());
    }

    @Test
    void shouldSerialiseTheSameInstanceOnceAndEveryOtherValueAfresh() {
        MetricsSnapshot first = sample();
        MetricsSnapshot second = MetricsSnapshot.of(new DatabaseRef("other", "db", "redis", "acme", "shop"),
                Instant.parse("2025-11-25T10:30:05Z"), 5, Map.of(Metric.CONNECTIONS, 3d));
        MetricsSnapshot equalToFirst = sample();

        byte[] once = serde.serialize("t", first);
        assertThat(serde.serialize("changelog", first)).isSameAs(once);
        assertThat(serde.deserialize("t", serde.serialize("t", second))).isEqualTo(second);
        byte[] again = serde.serialize("t", equalToFirst);
        assertThat(again).isNotSameAs(once).isEqualTo(once);
    }

    @Test
    void shouldWriteMissingMetricAsNullAndNameIt() {
        Map<Metric, Double> values = new EnumMap<>(Metric.class);
        values.put(Metric.CONNECTIONS, 3d);
        MetricsSnapshot partial = MetricsSnapshot.of(new DatabaseRef("db-1", "db", "redis", "acme", "shop"),
                Instant.parse("2025-11-25T10:30:05Z"), 5, values);

        JsonNode node = readTree(serde.serialize("t", partial));

        assertThat(node.get("metrics").get("cpu_usage").isNull()).isTrue();
        assertThat(node.get("missing")).hasSize(4);
        assertThat(SchemaFiles.errors(schema, node)).isEmpty();
        assertThat(serde.deserialize("t", serde.serialize("t", partial)).value(Metric.CPU_USAGE)).isNull();
    }

    @Test
    void shouldRejectInSerdeWhatTheSchemaRejects() {
        ObjectNode valid = (ObjectNode) readTree(serde.serialize("t", sample()));
        Map<String, JsonNode> broken = Map.of(
                "no id", valid.deepCopy().without("database_id"),
                "bad id", valid.deepCopy().put("database_id", ".hidden"),
                "wrong type", withMetric(valid, "connections", mapper.getNodeFactory().textNode("42")),
                "negative count", withMetric(valid, "connections", mapper.getNodeFactory().numberNode(-1)),
                "missing not matching nulls", withMetric(valid, "cpu_usage", mapper.getNodeFactory().nullNode()),
                "unknown metric", withMetric(valid, "qps", mapper.getNodeFactory().numberNode(1)),
                "bad time", valid.deepCopy().put("timestamp", "yesterday"));

        broken.forEach((why, node) -> {
            assertThat(SchemaFiles.errors(schema, node)).as("schema on %s", why).isNotEmpty();
            byte[] bytes = node.toString().getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> serde.deserialize("topic-x", bytes)).as("serde on %s", why)
                    .isInstanceOf(SerializationException.class).hasMessageContaining("topic-x");
        });
    }

    @Test
    void shouldRejectBytesThatAreNotJson() {
        assertThatThrownBy(() -> serde.deserialize("t", new byte[] {(byte) 0xff, 0x00, 0x13}))
                .isInstanceOf(SerializationException.class);
    }

    @Test
    void shouldReadTombstoneAsNull() {
        assertThat(serde.deserialize("t", null)).isNull();
        assertThat(serde.serialize("t", null)).isNull();
    }

    private ObjectNode withMetric(ObjectNode valid, String name, JsonNode value) {
        ObjectNode copy = valid.deepCopy();
        ((ObjectNode) copy.get("metrics")).set(name, value);
        return copy;
    }

    private JsonNode readTree(byte[] bytes) {
        try {
            return mapper.readTree(bytes);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}

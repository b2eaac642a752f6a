package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What another service sees: kcat (not our code) reads dbmetrics.snapshots.v1 and dbmetrics.latest.v1 of the test
 * broker from the beginning, and every value is valid against the published JSON Schema. By the time the e2e module
 * runs, the poller and streams-app integration tests have written to both topics of the test broker.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class KcatSchemaIT {

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void shouldFindEveryValueOnBothTopicsValidAgainstThePublishedSchema() throws Exception {
        JsonSchema schema;
        try (InputStream in = getClass().getResourceAsStream("/schemas/metrics-snapshot.v1.schema.json")) {
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        }
        for (String topic : List.of("dbmetrics.snapshots.v1", "dbmetrics.latest.v1")) {
            List<String> values = consume(topic);
            assertThat(values).as("values on %s (the pipeline tests and the poller ITs produce some)", topic)
                    .isNotEmpty();
            List<String> invalid = new ArrayList<>();
            for (String value : values) {
                JsonNode node = mapper.readTree(value);
                if (!schema.validate(node).isEmpty()) {
                    invalid.add(value);
                }
            }
            assertThat(invalid).as("invalid values on %s of %d", topic, values.size()).isEmpty();
        }
    }

    /** Every non-null value of the topic, read by kcat as read_committed, as one line each. */
    private static List<String> consume(String topic) throws Exception {
        List<String> command = new ArrayList<>(List.of("kcat", "-C", "-b", TestStack.kafka()));
        String config = System.getenv("DBM_IT_KCAT_CONFIG"); // the secured stack: CA and the operator's identity
        if (config != null && !config.isBlank()) {
            command.addAll(List.of("-F", config));
        }
        command.addAll(List.of("-t", topic, "-o", "beginning", "-e", "-q", "-X", "isolation.level=read_committed",
                "-f", "%s\\n", "-Z"));
        Process kcat;
        try {
            kcat = new ProcessBuilder(command).start();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("kcat is not installed: run the tests through ./dbm test", e);
        }
        String out = new String(kcat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(kcat.waitFor(60, TimeUnit.SECONDS)).isTrue();
        List<String> values = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank() && !line.equals("NULL")) {
                values.add(line);
            }
        }
        return values;
    }
}

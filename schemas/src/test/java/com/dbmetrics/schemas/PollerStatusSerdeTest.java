package com.dbmetrics.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PollerStatusSerdeTest {

    private final ObjectMapper mapper = Json.newMapper();
    private final JsonSerde<PollerStatus> serde = JsonSerde.pollerStatus(mapper);

    @Test
    void shouldValidateAgainstPublishedSchemaAndRoundTrip() throws Exception {
        PollerStatus status = new PollerStatus("prometheus", PollerStatus.State.OPEN,
                Instant.parse("2025-11-25T10:30:00Z"), null, "Connection refused",
                Instant.parse("2025-11-25T10:31:00Z"), "poller-1");

        byte[] bytes = serde.serialize("t", status);

        assertThat(SchemaFiles.errors(SchemaFiles.load("poller-status.v1.schema.json"), mapper.readTree(bytes)))
                .isEmpty();
        assertThat(serde.deserialize("t", bytes)).isEqualTo(status);
    }
}

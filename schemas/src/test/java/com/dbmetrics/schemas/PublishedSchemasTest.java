package com.dbmetrics.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaId;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import org.junit.jupiter.api.Test;

/** Every published {@code *.schema.json} is a JSON Schema 2020-12 document that other services can load as it is. */
class PublishedSchemasTest {

    private final ObjectMapper mapper = new ObjectMapper();
    private final JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    @Test
    void shouldPublishTheTopicRecordSchemas() {
        assertThat(SchemaFiles.names())
                .contains("metrics-snapshot.v1.schema.json", "poller-status.v1.schema.json");
    }

    @Test
    void shouldBeValidAgainstTheDraft202012MetaSchema() throws Exception {
        JsonSchema meta = factory.getSchema(SchemaLocation.of(SchemaId.V202012));
        for (String name : SchemaFiles.names()) {
            JsonNode schema = mapper.readTree(SchemaFiles.text(name));

            assertThat(schema.path("$schema").asText()).as("$schema of %s", name).isEqualTo(SchemaId.V202012);
            assertThat(schema.path("$id").asText()).as("$id of %s", name).endsWith("/" + name);
            assertThat(SchemaFiles.errors(meta, schema)).as("meta-schema errors of %s", name).isEmpty();
        }
    }

    @Test
    void shouldCompileWithEveryReferenceResolved() {
        for (String name : SchemaFiles.names()) {
            assertThatCode(() -> SchemaFiles.load(name).initializeValidators()).as(name).doesNotThrowAnyException();
        }
    }

    @Test
    void shouldRefuseASchemaThatBreaksTheMetaSchema() throws Exception {
        JsonSchema meta = factory.getSchema(SchemaLocation.of(SchemaId.V202012));
        JsonNode broken = mapper.readTree("""
                {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "objekt", "required": "id"}""");

        assertThat(SchemaFiles.errors(meta, broken)).isNotEmpty();
    }

    @Test
    void shouldRefuseASchemaWithAnUnresolvedReference() throws Exception {
        String schema = """
                {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://dbmetrics.example/x.json",
                 "properties": {"a": {"$ref": "#/$defs/%s"}}, "$defs": {"id": {"type": "string"}}}""";

        assertThatCode(() -> factory.getSchema(mapper.readTree(schema.formatted("id"))).initializeValidators())
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> factory.getSchema(mapper.readTree(schema.formatted("nowhere")))
                .initializeValidators()).isNotNull();
    }
}

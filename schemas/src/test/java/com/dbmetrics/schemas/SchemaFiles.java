package com.dbmetrics.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.IOException;
import java.util.Set;
import java.util.stream.Collectors;

/** Loads the published JSON Schema files from the classpath, exactly as other services read them. */
final class SchemaFiles {

    private SchemaFiles() {}

    static JsonSchema load(String name) {
        try (InputStream in = SchemaFiles.class.getResourceAsStream("/schemas/" + name)) {
            if (in == null) {
                throw new IllegalStateException("schema file not on classpath: " + name);
            }
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Set<String> errors(JsonSchema schema, JsonNode node) {
        Set<ValidationMessage> messages = schema.validate(node);
        return messages.stream().map(ValidationMessage::getMessage).collect(Collectors.toSet());
    }
}

package com.dbmetrics.api.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The published OpenAPI document ({@code schemas/.../openapi/query-api.v1.openapi.json}) as a test oracle: every
 * response the query-api ITs receive must be a documented status of its route, carry the documented headers, and have
 * a body valid against the documented schema. So the document cannot drift from the code.
 */
final class OpenApiContract {

    static final String RESOURCE = "/openapi/query-api.v1.openapi.json";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNode DOC = load();
    private static final Map<Pattern, String> ROUTES = routes();

    private OpenApiContract() {}

    static JsonNode document() {
        return DOC;
    }

    private static JsonNode load() {
        try (InputStream in = OpenApiContract.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the classpath");
            }
            return MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<Pattern, String> routes() {
        Map<Pattern, String> routes = new LinkedHashMap<>();
        for (Iterator<String> it = DOC.path("paths").fieldNames(); it.hasNext(); ) {
            String template = it.next();
            routes.put(Pattern.compile(template.replaceAll("\\{[^}]+}", "[^/]+")), template);
        }
        return routes;
    }

    /** The documented route of a concrete path, or null when the path is not an API route. */
    static String route(String path) {
        for (Map.Entry<Pattern, String> route : ROUTES.entrySet()) {
            if (route.getKey().matcher(path).matches()) {
                return route.getValue();
            }
        }
        return null;
    }

    /** Checks one GET response against the document; undocumented paths (deliberate 404 probes) are skipped. */
    static void check(HttpResponse<String> response) {
        String path = URI.create(response.uri().toString()).getRawPath();
        String template = route(path);
        if (template == null) {
            return;
        }
        String status = Integer.toString(response.statusCode());
        JsonNode responses = DOC.path("paths").path(template).path("get").path("responses");
        assertThat(responses.has(status)).as("status %s of GET %s is documented", status, template).isTrue();
        JsonNode documented = responses.path(status);
        for (Iterator<String> it = documented.path("headers").fieldNames(); it.hasNext(); ) {
            String header = it.next();
            if (!documented.path("headers").path(header).path("required").asBoolean(false)) {
                continue;
            }
            assertThat(response.headers().firstValue(header)).as("header %s on %s %s", header, status, template)
                    .isPresent();
        }
        JsonNode schemaNode = documented.path("content").path("application/json").path("schema");
        if (schemaNode.isMissingNode()) {
            assertThat(response.body()).as("%s %s has no body", status, template).isEmpty();
            return;
        }
        Set<String> errors = validate(pointer(template, status), response.body());
        assertThat(errors).as("body of %s %s: %s", status, template, response.body()).isEmpty();
    }

    private static String pointer(String template, String status) {
        return "#/paths/" + template.replace("~", "~0").replace("/", "~1") + "/get/responses/" + status
                + "/content/application~1json/schema";
    }

    static Set<String> validate(String pointer, String body) {
        ObjectNode root = DOC.deepCopy();
        root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        root.put("$ref", pointer.replace("{", "%7B").replace("}", "%7D"));
        try {
            Set<ValidationMessage> messages = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                    .getSchema(root).validate(MAPPER.readTree(body));
            return messages.stream().map(ValidationMessage::getMessage).collect(java.util.stream.Collectors.toSet());
        } catch (IOException e) {
            return Set.of("not JSON: " + e.getMessage());
        }
    }
}

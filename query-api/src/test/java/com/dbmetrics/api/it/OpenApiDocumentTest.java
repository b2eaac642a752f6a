package com.dbmetrics.api.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.api.http.ApiServer;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The published OpenAPI document is well formed, lists every route the server registers, and its refs resolve. */
class OpenApiDocumentTest {

    private final JsonNode doc = OpenApiContract.document();

    @Test
    void shouldBeOpenApi31WithEveryRouteOfTheServer() {
        assertThat(doc.path("openapi").asText()).isEqualTo("3.1.0");
        for (String route : List.of(ApiServer.METRICS_PATH, ApiServer.PROJECT_PATH, ApiServer.CACHE_STATS_PATH,
                ApiServer.HISTORY_PATH, ApiServer.METRICS_STREAM_PATH, ApiServer.PROJECT_STREAM_PATH, "/healthz",
                "/readyz", "/prometheus/api/v1/query", "/prometheus/api/v1/query_range", "/prometheus/api/v1/series",
                "/prometheus/api/v1/labels", "/prometheus/api/v1/label/{name}/values", "/prometheus/api/v1/metadata",
                "/prometheus/api/v1/status/buildinfo")) {
            assertThat(doc.path("paths").has(route)).as(route).isTrue();
        }
    }

    @Test
    void shouldResolveEveryReference() {
        List<String> refs = new ArrayList<>();
        collect(doc, refs);
        assertThat(refs).isNotEmpty();
        for (String ref : refs) {
            assertThat(doc.at(ref.substring(1)).isMissingNode()).as(ref).isFalse();
        }
    }

    @Test
    void shouldDocumentAuthRateLimitAndUnavailableAnswersOnTheMetricsRoute() {
        JsonNode responses = doc.path("paths").path(ApiServer.METRICS_PATH).path("get").path("responses");
        for (String status : List.of("200", "304", "400", "401", "404", "429", "503")) {
            assertThat(responses.has(status)).as(status).isTrue();
        }
        assertThat(responses.path("429").path("headers").has("Retry-After")).isTrue();
        assertThat(responses.path("401").path("headers").has("WWW-Authenticate")).isTrue();
    }

    @Test
    void shouldRejectBodiesThatBreakTheDocumentedSchema() {
        String pointer = "#/components/schemas/DatabaseMetrics";
        assertThat(OpenApiContract.validate(pointer, "{\"database_id\":\"x\"}")).isNotEmpty();
        assertThat(OpenApiContract.validate("#/components/schemas/Error", "{\"error\":\"e\",\"status\":404}")).isEmpty();
        assertThat(OpenApiContract.validate("#/components/schemas/Error",
                "{\"error\":\"e\",\"status\":404,\"trace\":\"at com.x\"}")).isNotEmpty();
    }

    private static void collect(JsonNode node, List<String> refs) {
        if (node.isObject()) {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (name.equals("$ref")) {
                    refs.add(node.get(name).asText());
                } else {
                    collect(node.get(name), refs);
                }
            }
        } else if (node.isArray()) {
            node.forEach(child -> collect(child, refs));
        }
    }
}

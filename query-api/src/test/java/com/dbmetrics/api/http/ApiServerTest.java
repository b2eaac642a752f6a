package com.dbmetrics.api.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The servers' lifecycle and which port serves which path; the API's routes are the ITs' subject. */
class ApiServerTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicBoolean ready = new AtomicBoolean(true);

    private ApiServer server() {
        return new ApiServer("127.0.0.1", 0, 0, new ApiServer.Services(null, null, null, null, ready::get), List.of(), registry);
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldServeProbesOnTheApiPortAndMetricsOnTheManagementPortOnceStarted() throws Exception {
        Counter.builder("dbm_test_counter").register(registry).increment();
        try (ApiServer server = server().start()) {
            assertThat(get(server.port(), "/healthz").body()).isEqualTo("{\"status\":\"ok\"}");
            assertThat(get(server.port(), "/readyz").body()).isEqualTo("{\"status\":\"ready\"}");
            ready.set(false);
            assertThat(get(server.port(), "/readyz").statusCode()).isEqualTo(503);
            assertThat(get(server.port(), "/metrics").statusCode()).as("not on the public port").isEqualTo(404);

            HttpResponse<String> metrics = get(server.managementPort(), "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
            assertThat(metrics.body()).contains("dbm_test_counter_total 1.0");
            assertThat(get(server.managementPort(), "/healthz").body()).isEqualTo("ok\n");
        }
    }

    @Test
    void shouldListenOnlyBetweenStartAndClose() throws Exception {
        ApiServer server = server();
        assertThatThrownBy(server::managementPort).as("built, not bound").isInstanceOf(IllegalStateException.class);

        server.start();
        int port = server.managementPort();
        assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);
        server.close();

        assertThatThrownBy(() -> get(port, "/healthz")).isInstanceOf(ConnectException.class);
    }
}

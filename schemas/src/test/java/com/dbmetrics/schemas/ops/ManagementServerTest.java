package com.dbmetrics.schemas.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class ManagementServerTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final AtomicBoolean ready = new AtomicBoolean(false);

    private ManagementServer server() {
        Map<String, BooleanSupplier> probes = new LinkedHashMap<>();
        probes.put("/healthz", () -> true);
        probes.put("/readyz", ready::get);
        return new ManagementServer(new InetSocketAddress("127.0.0.1", 0), () -> "dbm_up 1\n", probes);
    }

    private HttpResponse<String> get(ManagementServer server, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldServeMetricsAndProbesWhenStarted() throws Exception {
        try (ManagementServer server = server().start()) {
            HttpResponse<String> metrics = get(server, "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).isEqualTo("dbm_up 1\n");
            assertThat(metrics.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
            assertThat(get(server, "/healthz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void shouldAnswer503WhileAProbeFailsAnd200AfterItPasses() throws Exception {
        try (ManagementServer server = server().start()) {
            HttpResponse<String> notReady = get(server, "/readyz");
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body()).isEqualTo("not ok\n");
            ready.set(true);
            assertThat(get(server, "/readyz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void shouldNotListenBeforeStartNorTwice() {
        ManagementServer server = server();
        assertThatThrownBy(server::port).isInstanceOf(IllegalStateException.class);
        try (ManagementServer started = server.start()) {
            assertThatThrownBy(started::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already started");
        }
    }
}

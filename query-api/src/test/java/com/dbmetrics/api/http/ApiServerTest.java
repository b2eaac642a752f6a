package com.dbmetrics.api.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.api.load.LoadShedder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The servers' lifecycle and which port serves which path; the API's routes are the ITs' subject. */
class ApiServerTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicReference<String> notReady = new AtomicReference<>();
    private final LoadShedder load = new LoadShedder(1, 1, 0, Duration.ofMillis(100), Duration.ofMillis(5),
            Duration.ofMillis(1), System::nanoTime);

    private ApiServer server() {
        load.bindTo(registry);
        return new ApiServer("127.0.0.1", 0, 0, new ApiServer.Services(null, null, null, null, null, null, null, null,
                notReady::get, load), List.of(), registry);
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
            notReady.set("Not ready: warming up");
            HttpResponse<String> warming = get(server.port(), "/readyz");
            assertThat(warming.statusCode()).isEqualTo(503);
            assertThat(warming.body()).contains("Not ready: warming up");
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
    void shouldRefuseApiRequestsAtOnceWithRetryAfterWhileNoSlotIsFreeButStillAnswerProbes() throws Exception {
        try (ApiServer server = server().start()) {
            assertThat(load.acquire()).as("the only slot, held as a running request would").isNull();

            long start = System.nanoTime();
            HttpResponse<String> refused = get(server.port(), "/api/v1/domain/acme/project/shop/databases/x/metrics");
            long tookMillis = (System.nanoTime() - start) / 1_000_000;

            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(refused.body()).isEqualTo("{\"error\":\"" + OverloadGuard.MESSAGE + "\",\"status\":503}");
            assertThat(tookMillis).as("refused at once: no queue (0 places), no wait").isLessThan(2000);
            assertThat(get(server.port(), "/healthz").statusCode()).as("probes take no slot").isEqualTo(200);
            assertThat(get(server.port(), "/readyz").statusCode()).isEqualTo(200);
            assertThat(get(server.managementPort(), "/metrics").body())
                    .contains("dbm_api_overload_refused_total{reason=\"queue_full\"} 1.0")
                    .contains("dbm_api_requests_in_flight 1.0");
            load.release(0);
            assertThat(load.inFlight()).isZero();
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

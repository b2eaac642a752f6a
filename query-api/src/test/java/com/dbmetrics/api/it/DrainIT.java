package com.dbmetrics.api.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.api.QueryApi;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SIGTERM's path ({@link QueryApi#drain()}): readiness turns false first, a request in flight (here one waiting 2 s for
 * a slow streams-app) still gets its answer, and only then does the port close.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DrainIT {

    private HttpServer slowStreamsApp;
    private QueryApi api;

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
        if (slowStreamsApp != null) {
            slowStreamsApp.stop(0);
        }
    }

    @Test
    void shouldTurnUnreadyThenFinishTheRequestsInFlightThenClose() throws Exception {
        slowStreamsApp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        slowStreamsApp.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        slowStreamsApp.createContext("/internal/v1/snapshots/", exchange -> {
            try {
                Thread.sleep(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "{\"error\":\"Database not found\",\"status\":404}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(404, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        slowStreamsApp.start();
        api = ApiFixture.start(Map.of("STREAMS_IQ_URLS", "http://127.0.0.1:" + slowStreamsApp.getAddress().getPort(),
                "API_SHUTDOWN_DELAY", "1s"));
        int port = api.port();
        String token = ApiFixture.token("drain-user", "acme/shop");
        // not in Redis: the read waits for the (slow) streams-app
        CompletableFuture<HttpResponse<String>> inFlight = ApiFixture.HTTP.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + ApiFixture.metricsPath("shop",
                                "drain-" + UUID.randomUUID())))
                        .header("Authorization", "Bearer " + token).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        Thread.sleep(300);

        Thread drain = new Thread(api::drain, "test-drain");
        drain.start();
        Thread.sleep(200);
        HttpResponse<String> ready = ApiFixture.get(api, "/readyz", null);
        assertThat(ready.statusCode()).as("unready while draining").isEqualTo(503);
        assertThat(ready.body()).contains("shutting down");

        HttpResponse<String> answer = inFlight.get(10, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as("the request in flight got its answer").isEqualTo(404);
        drain.join(20_000);
        assertThat(drain.isAlive()).isFalse();
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).as("port closed after the drain")
                .isInstanceOf(IOException.class);
    }
}

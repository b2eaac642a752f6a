package com.dbmetrics.poller.prometheus;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** An in-process HTTP server standing in for Prometheus' query endpoint: answers what the test sets, counts calls. */
final class FakePrometheus implements AutoCloseable {

    record Answer(int status, String contentType, byte[] body) {
        static Answer json(int status, String body) {
            return new Answer(status, "application/json", body.getBytes(StandardCharsets.UTF_8));
        }

        static Answer html(int status, String body) {
            return new Answer(status, "text/html", body.getBytes(StandardCharsets.UTF_8));
        }
    }

    static final String EMPTY_VECTOR = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}";

    private final HttpServer server;
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    volatile Supplier<Answer> answer = () -> Answer.json(200, EMPTY_VECTOR);
    /** When positive: the answer's headers and first bytes are sent, then the body stalls this long. */
    volatile long stallBodyMillis;
    /** The headers of the last request. */
    volatile Headers lastHeaders;

    FakePrometheus() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.createContext("/api/v1/query", exchange -> {
            requests.incrementAndGet();
            lastHeaders = exchange.getRequestHeaders();
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                exchange.getRequestBody().readAllBytes();
                Answer a = answer.get();
                exchange.getResponseHeaders().set("Content-Type", a.contentType());
                exchange.sendResponseHeaders(a.status(), a.body().length);
                try (OutputStream out = exchange.getResponseBody()) {
                    if (stallBodyMillis > 0) {
                        out.write(a.body(), 0, 8);
                        out.flush();
                        sleep(stallBodyMillis);
                        out.write(a.body(), 8, a.body().length - 8);
                    } else {
                        out.write(a.body());
                    }
                }
            } finally {
                inFlight.decrementAndGet();
            }
        });
        server.start();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

package com.dbmetrics.schemas.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The management port every dbmetrics process has: {@code /metrics} (Prometheus text format) and its probes
 * ({@code /healthz}, {@code /readyz}, ...), each 200 {@code ok} or 503. Built unbound; {@link #start()} binds and
 * serves, {@link #close()} stops. Operators' traffic only: a few requests a minute, so the JDK's server is enough.
 */
public final class ManagementServer implements AutoCloseable {

    private static final String METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final InetSocketAddress address;
    private final Supplier<String> metrics;
    private final Map<String, BooleanSupplier> probes;
    private HttpServer server;

    /**
     * @param address where to listen (port 0 picks a free one)
     * @param metrics the scrape body, e.g. {@code registry::scrape}
     * @param probes  path to check, e.g. {@code "/healthz" -> () -> true}, in the order given
     */
    public ManagementServer(InetSocketAddress address, Supplier<String> metrics, Map<String, BooleanSupplier> probes) {
        this.address = Objects.requireNonNull(address, "address");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.probes = Map.copyOf(new LinkedHashMap<>(probes));
    }

    /** Binds the address and serves. */
    public synchronized ManagementServer start() {
        if (server != null) {
            throw new IllegalStateException("management server already started on " + server.getAddress());
        }
        try {
            HttpServer created = HttpServer.create(address, 0);
            created.createContext("/metrics", exchange -> respond(exchange, 200, METRICS_TYPE, metrics.get()));
            probes.forEach((path, check) -> created.createContext(path, exchange -> {
                boolean ok = check.getAsBoolean();
                respond(exchange, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "ok\n" : "not ok\n");
            }));
            created.start();
            server = created;
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + address, e);
        }
    }

    /** The port it listens on (the one picked when started with port 0). */
    public synchronized int port() {
        if (server == null) {
            throw new IllegalStateException("management server not started");
        }
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }
}

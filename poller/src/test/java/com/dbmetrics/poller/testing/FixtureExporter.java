package com.dbmetrics.poller.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves a recorded exporter sample (a test resource in Prometheus text format) on {@code /metrics}, so a real
 * Prometheus scrapes it. The series named in {@code steps} grow by their step at every scrape, so rates move.
 */
public final class FixtureExporter implements AutoCloseable {

    private final HttpServer server;
    private final AtomicInteger scrapes = new AtomicInteger();

    public FixtureExporter(String resource, Map<String, Double> steps) throws IOException {
        String sample;
        try (InputStream in = FixtureExporter.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + resource);
            }
            sample = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/metrics", exchange -> {
            byte[] body = render(sample, steps, scrapes.getAndIncrement()).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    static String render(String sample, Map<String, Double> steps, int scrape) {
        StringBuilder out = new StringBuilder(sample.length());
        for (String line : sample.split("\n")) {
            int space = line.lastIndexOf(' ');
            String series = space < 0 ? line : line.substring(0, space);
            String name = series.contains("{") ? series.substring(0, series.indexOf('{')) : series;
            Double step = line.startsWith("#") ? null : steps.get(name);
            if (step == null) {
                out.append(line).append('\n');
            } else {
                double value = Double.parseDouble(line.substring(space + 1)) + step * scrape;
                out.append(series).append(' ').append(value).append('\n');
            }
        }
        return out.toString();
    }

    /** {@code host:port} for a scrape config. */
    public String target() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    public int scrapes() {
        return scrapes.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

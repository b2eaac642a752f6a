package com.dbmetrics.poller.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A Prometheus process of a test's own (the {@code prometheus} binary on PATH that {@code ./dbm} installs), on a free
 * port with a config the test writes, so a test may stop and restart it without disturbing the shared test stack.
 */
public final class LocalPrometheus implements AutoCloseable {

    private final Path dir;
    private final int port;
    private final HttpClient http = HttpClient.newHttpClient();
    private Process process;

    /** @param scrapeConfigs the YAML list items under {@code scrape_configs:}, indented by two spaces */
    public LocalPrometheus(String scrapeConfigs, Duration scrapeInterval) throws IOException {
        dir = Files.createTempDirectory("dbm-it-prometheus");
        port = freePort();
        Files.writeString(dir.resolve("prometheus.yml"), "global:\n  scrape_interval: " + scrapeInterval.toMillis()
                + "ms\n  evaluation_interval: " + scrapeInterval.toMillis() + "ms\nscrape_configs:\n" + scrapeConfigs);
        start();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public void start() throws IOException {
        if (process != null && process.isAlive()) {
            return;
        }
        process = new ProcessBuilder("prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port,
                "--storage.tsdb.retention.time=1h")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        Awaitility.await("Prometheus on port " + port + " ready").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100)).until(this::ready);
    }

    /** Stops the process (SIGTERM, then SIGKILL after 10 s) and waits until its port refuses connections. */
    public void stop() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private boolean ready() {
        if (!process.isAlive()) {
            throw new IllegalStateException("prometheus exited with " + process.exitValue() + "; see "
                    + dir.resolve("prometheus.log"));
        }
        try {
            return http.send(HttpRequest.newBuilder(url().resolve("/-/ready")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        stop();
    }
}

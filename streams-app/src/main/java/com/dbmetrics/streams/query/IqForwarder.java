package com.dbmetrics.streams.query;

import com.dbmetrics.schemas.config.InternalToken;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP client to the other streams-app instances: one GET of an internal path carrying the internal API's token,
 * 2 s to connect and 2 s to answer. An instance that cannot be reached is logged and comes back empty, never as an
 * exception.
 */
final class IqForwarder {

    private static final Logger log = LoggerFactory.getLogger(IqForwarder.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final InternalToken token;

    IqForwarder(InternalToken token) {
        this.token = token;
    }

    /** The instance's answer to {@code GET path}, whatever its status; empty when it could not be reached. */
    Optional<HttpResponse<byte[]>> get(HostInfo host, String path) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + host.host() + ":" + host.port() + path))
                    .header("Authorization", token.authorization()).timeout(TIMEOUT).GET().build();
            return Optional.of(http.send(request, HttpResponse.BodyHandlers.ofByteArray()));
        } catch (IOException e) {
            log.warn("Streams-app instance {}:{} unreachable: {}", host.host(), host.port(), e.toString());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}

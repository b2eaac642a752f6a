package com.dbmetrics.streams.query;

import com.dbmetrics.schemas.config.InternalToken;
import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.config.Secret;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Forwarding and gathering to another instance carry the internal API's token. */
@Timeout(30)
class IqForwarderTest {

    private static final String TOKEN = "forwarder-test-token-0123456789abcdef";

    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final HttpServer other;

    IqForwarderTest() throws Exception {
        other = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        other.createContext("/internal/v1/", exchange -> {
            authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        other.start();
    }

    @AfterEach
    void stop() {
        other.stop(0);
    }

    @Test
    void shouldSendTheTokenToTheOtherInstance() {
        IqForwarder forwarder = new IqForwarder(InternalToken.of(Secret.of(TOKEN, "test")));

        Optional<HttpResponse<byte[]>> answer = forwarder.get(new HostInfo("127.0.0.1", other.getAddress().getPort()),
                "/internal/v1/snapshots/db-1?local=true");

        assertThat(answer).isPresent();
        assertThat(answer.get().statusCode()).isEqualTo(200);
        assertThat(authorizations).containsExactly("Bearer " + TOKEN);
    }

    @Test
    void shouldAcceptOnlyTheExactHeaderItSends() {
        InternalToken token = InternalToken.of(Secret.of(TOKEN, "test"));

        assertThat(token.accepts(token.authorization())).isTrue();
        assertThat(token.accepts(null)).isFalse();
        assertThat(token.accepts("Bearer " + TOKEN.substring(1))).isFalse();
        assertThat(token.accepts("Bearer " + TOKEN + " ")).isFalse();
        assertThat(token).hasToString("****");
    }
}

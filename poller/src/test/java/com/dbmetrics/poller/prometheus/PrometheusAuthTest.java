package com.dbmetrics.poller.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.poller.prometheus.FakePrometheus.Answer;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.config.ConfigException;
import com.dbmetrics.schemas.config.Env;
import com.dbmetrics.schemas.time.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Credentials and extra headers reach "Prometheus" (an in-process HTTP server); no secret shows anywhere else. */
@Timeout(30)
class PrometheusAuthTest {

    private static final String PASSWORD = "s3cret-basic-password";
    private static final String TOKEN_1 = "token-one-aaaaaaaaaaaaaaaa";
    private static final String TOKEN_2 = "token-two-bbbbbbbbbbbbbbbbbbbbbbbb";

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock();
    private final FakePrometheus fake;

    PrometheusAuthTest() throws Exception {
        fake = new FakePrometheus();
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    private PrometheusClient client(PrometheusAuth auth) {
        return new PrometheusClient(auth.httpClient().build(), fake.url(), Json.newMapper(), Duration.ofSeconds(5),
                PrometheusClient.DEFAULT_MAX_BODY_BYTES, auth.requestHeaders(clock));
    }

    private static PrometheusAuth auth(String... pairs) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return PrometheusAuth.fromEnv(new Env(env));
    }

    private Path file(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content + "\n", StandardCharsets.UTF_8);
    }

    @Test
    void shouldSendBasicAuthFromThePasswordFileAndTheExtraHeaders() throws Exception {
        PrometheusAuth auth = auth("PROMETHEUS_USERNAME", "poller",
                "PROMETHEUS_PASSWORD_FILE", file("password", PASSWORD).toString(),
                "PROMETHEUS_HEADERS", "X-Scope-OrgID=acme, X-Team=dbm");

        client(auth).query("up", Instant.parse("2026-12-01T00:00:00Z"));

        String expected = Base64.getEncoder().encodeToString(("poller:" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        assertThat(fake.lastHeaders.getFirst("Authorization")).isEqualTo("Basic " + expected);
        assertThat(fake.lastHeaders.getFirst("X-Scope-OrgID")).isEqualTo("acme");
        assertThat(fake.lastHeaders.getFirst("X-Team")).isEqualTo("dbm");
        assertThat(auth.toString()).doesNotContain(PASSWORD).doesNotContain("acme").contains("poller");
    }

    @Test
    void shouldPickUpABearerTokenRotatedOnDiskWithoutARestart() throws Exception {
        Path token = file("token", TOKEN_1);
        PrometheusAuth auth = auth("PROMETHEUS_BEARER_TOKEN_FILE", token.toString());
        PrometheusClient client = client(auth);

        client.query("up", clock.instant());
        assertThat(fake.lastHeaders.getFirst("Authorization")).isEqualTo("Bearer " + TOKEN_1);

        Files.writeString(token, TOKEN_2 + "\n", StandardCharsets.UTF_8); // another size: seen even within one mtime tick
        client.query("up", clock.instant());
        assertThat(fake.lastHeaders.getFirst("Authorization")).as("looked at once a second at most")
                .isEqualTo("Bearer " + TOKEN_1);

        clock.advance(Duration.ofSeconds(1));
        client.query("up", clock.instant());
        assertThat(fake.lastHeaders.getFirst("Authorization")).isEqualTo("Bearer " + TOKEN_2);
        assertThat(auth.toString()).doesNotContain(TOKEN_1).doesNotContain(TOKEN_2);
    }

    @Test
    void shouldKeepTheLastTokenWhileTheFileIsMissingOrEmpty() throws Exception {
        Path token = file("token", TOKEN_1);
        PrometheusClient client = client(auth("PROMETHEUS_BEARER_TOKEN_FILE", token.toString()));

        Files.writeString(token, "");
        clock.advance(Duration.ofSeconds(2));
        client.query("up", clock.instant());
        Files.delete(token);
        clock.advance(Duration.ofSeconds(2));
        client.query("up", clock.instant());

        assertThat(fake.lastHeaders.getFirst("Authorization")).isEqualTo("Bearer " + TOKEN_1);
    }

    @Test
    void shouldNotRepeatTheTokenWhenPrometheusRefusesIt() throws Exception {
        fake.answer = () -> Answer.html(401, "Unauthorized");
        PrometheusClient client = client(auth("PROMETHEUS_BEARER_TOKEN_FILE", file("token", TOKEN_1).toString()));

        assertThatThrownBy(() -> client.query("up", clock.instant())).isInstanceOf(PrometheusException.class)
                .hasMessageContaining("401").message().doesNotContain(TOKEN_1);
    }

    @Test
    void shouldRefuseBadCombinationsNamingTheVariableNeverTheValue() throws Exception {
        String password = file("password", PASSWORD).toString();
        String token = file("token", TOKEN_1).toString();

        assertThatThrownBy(() -> auth("PROMETHEUS_USERNAME", "poller", "PROMETHEUS_PASSWORD_FILE", password,
                "PROMETHEUS_BEARER_TOKEN_FILE", token)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("PROMETHEUS_USERNAME").hasMessageContaining("PROMETHEUS_BEARER_TOKEN_FILE");
        assertThatThrownBy(() -> auth("PROMETHEUS_USERNAME", "poller")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("PROMETHEUS_PASSWORD_FILE");
        assertThatThrownBy(() -> auth("PROMETHEUS_PASSWORD", PASSWORD)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("PROMETHEUS_USERNAME").message().doesNotContain(PASSWORD);
        assertThatThrownBy(() -> auth("PROMETHEUS_BEARER_TOKEN_FILE", dir.resolve("absent").toString()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PROMETHEUS_BEARER_TOKEN_FILE");
        assertThatThrownBy(() -> auth("PROMETHEUS_BEARER_TOKEN_FILE", file("empty", "").toString()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PROMETHEUS_BEARER_TOKEN_FILE");
        assertThatThrownBy(() -> auth("PROMETHEUS_HEADERS", "X-Scope-OrgID")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("PROMETHEUS_HEADERS");
        assertThatThrownBy(() -> auth("PROMETHEUS_HEADERS", "Authorization=Bearer " + TOKEN_1))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PROMETHEUS_HEADERS")
                .message().doesNotContain(TOKEN_1);
        assertThatThrownBy(() -> auth("PROMETHEUS_CA_FILE", dir.resolve("absent.pem").toString()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PROMETHEUS_CA_FILE");
    }
}

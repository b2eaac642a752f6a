package com.dbmetrics.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.api.auth.AuthResult;
import com.dbmetrics.api.auth.JwtAuthenticator;
import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.time.MutableClock;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar's {@code token} command: what it prints is what the API's authenticator accepts, as the caller asked. */
class TokenCommandTest {

    private static final String SECRET = "token-command-test-secret-0123456789abcdef";
    private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

    private final MutableClock clock = new MutableClock(NOW);
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @TempDir
    Path dir;

    private int run(Map<String, String> env, String... args) {
        return TokenCommand.run(List.of(args), env, clock, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String printed() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private JsonNode payload(String token) throws Exception {
        return Json.newMapper().readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]));
    }

    @Test
    void shouldPrintATokenTheAuthenticatorAcceptsWithTheRightPrincipal() throws Exception {
        Map<String, String> env = Map.of(ApiConfig.AUTH_JWT_SECRET, SECRET, ApiConfig.AUTH_JWT_ISSUER, "dbmetrics-dev",
                ApiConfig.AUTH_JWT_AUDIENCE, "dbmetrics-api");

        int status = run(env, "--user", "alice", "--tenant", "acme/shop", "--tenant", "beta/*", "--admin",
                "--ttl", "600");

        assertThat(status).isZero();
        assertThat(err.size()).isZero();
        assertThat(printed()).endsWith("\n").doesNotContain(" ");
        String token = printed().trim();
        JwtAuthenticator authenticator = JwtAuthenticator.hmac(SECRET, "dbmetrics-dev", "dbmetrics-api", clock,
                clock::nanos);
        AuthResult result = authenticator.authenticate("Bearer " + token);
        assertThat(result).isInstanceOfSatisfying(AuthResult.Authenticated.class, ok -> {
            Principal p = ok.principal();
            assertThat(p.userId()).isEqualTo("alice");
            assertThat(p.tenants()).containsExactly("acme/shop", "beta/*");
            assertThat(p.isAdmin()).isTrue();
            assertThat(p.canRead("beta", "anything")).isTrue();
        });
        JsonNode claims = payload(token);
        assertThat(claims.path("iat").asLong()).isEqualTo(NOW.getEpochSecond());
        assertThat(claims.path("exp").asLong()).isEqualTo(NOW.getEpochSecond() + 600);
        assertThat(claims.path("iss").asText()).isEqualTo("dbmetrics-dev");
        assertThat(claims.path("aud").asText()).isEqualTo("dbmetrics-api");

        clock.advance(Duration.ofSeconds(600 + 31)); // past exp and the authenticator's 30 s of clock skew
        assertThat(JwtAuthenticator.hmac(SECRET, "dbmetrics-dev", "dbmetrics-api", clock, clock::nanos)
                .authenticate("Bearer " + token)).isInstanceOf(AuthResult.Rejected.class);
    }

    @Test
    void shouldWriteTheClaimsThatDbmTokenWrote() throws Exception {
        run(Map.of(ApiConfig.AUTH_JWT_SECRET, SECRET, ApiConfig.AUTH_JWT_ISSUER, "dbmetrics-dev"),
                "--user", "dev", "--tenant", "acme/shop");

        String token = printed().trim();
        JsonNode header = Json.newMapper().readTree(Base64.getUrlDecoder().decode(token.split("\\.")[0]));
        JsonNode claims = payload(token);
        assertThat(header.path("alg").asText()).isEqualTo("HS256");
        assertThat(header.path("typ").asText()).isEqualTo("JWT");
        List<String> names = new java.util.ArrayList<>();
        claims.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactlyInAnyOrder("sub", "tenants", "roles", "iat", "exp", "iss");
        assertThat(claims.path("sub").asText()).isEqualTo("dev");
        assertThat(claims.path("tenants").toString()).isEqualTo("[\"acme/shop\"]");
        assertThat(claims.path("roles").toString()).isEqualTo("[]");
        assertThat(claims.path("exp").asLong() - claims.path("iat").asLong()).isEqualTo(86_400);
    }

    @Test
    void shouldReadTheSecretFromTheSecretFile() throws Exception {
        Path file = dir.resolve("jwt-secret");
        Files.writeString(file, SECRET + "\n");

        int status = run(Map.of(ApiConfig.AUTH_JWT_SECRET_FILE, file.toString()), "--user", "u", "--tenant", "a/b");

        assertThat(status).isZero();
        assertThat(JwtAuthenticator.hmac(SECRET, null, null, clock, clock::nanos)
                .authenticate("Bearer " + printed().trim())).isInstanceOf(AuthResult.Authenticated.class);
    }

    @Test
    void shouldPrintOneLineAndExitWithStatus2OnEveryBadArgument() {
        Map<String, String> env = Map.of(ApiConfig.AUTH_JWT_SECRET, SECRET);
        List<String[]> bad = List.of(
                new String[] {"--tenant", "acme/shop"},
                new String[] {"--user", "u"},
                new String[] {"--user"},
                new String[] {"--user", "u", "--tenant", "acme"},
                new String[] {"--user", "u", "--tenant", ".acme/shop"},
                new String[] {"--user", "u", "--tenant", "acme/shop", "--ttl", "0"},
                new String[] {"--user", "u", "--tenant", "acme/shop", "--ttl", "1h"},
                new String[] {"--user", "u", "--tenant", "acme/shop", "--what"});
        for (String[] args : bad) {
            out.reset();
            err.reset();
            assertThat(run(env, args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(printed()).isEmpty();
            assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("token: ").hasLineCount(1);
        }
        err.reset();
        assertThat(run(Map.of(), "--user", "u", "--tenant", "acme/shop")).as("no secret").isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains(ApiConfig.AUTH_JWT_SECRET).hasLineCount(1);
    }
}

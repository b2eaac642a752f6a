package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.api.ApiConfig;
import com.dbmetrics.poller.PollerConfig;
import com.dbmetrics.poller.prometheus.PrometheusAuth;
import com.dbmetrics.schemas.config.KafkaClientSettings;
import com.dbmetrics.schemas.config.RedisEndpoint;
import com.dbmetrics.streams.StreamsAppConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * docker-compose.yml is valid (Debian's docker-compose parses and resolves it; no engine is needed) and sets, for each
 * of our services, every variable that service's configuration record reads, so the file cannot drift from the code.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ComposeFileIT {

    private static final File ROOT = new File("..").getAbsoluteFile();

    /** The variables naming the secret files compose mounts; none has a default, so compose refuses without it. */
    private static final List<String> SECRET_FILES = List.of("DBM_JWT_SECRET_FILE", "DBM_IQ_TOKEN_FILE",
            "DBM_REDIS_STREAMS_PASSWORD_FILE", "DBM_REDIS_API_PASSWORD_FILE");

    /** Variables that would hold a credential itself: set (if at all) empty, the credential comes from a file. */
    private static final Set<String> CREDENTIAL_VALUES = Set.of(ApiConfig.AUTH_JWT_SECRET, ApiConfig.STREAMS_IQ_TOKEN,
            KafkaClientSettings.KAFKA_SASL_PASSWORD, KafkaClientSettings.KAFKA_SASL_JAAS_CONFIG,
            RedisEndpoint.REDIS_PASSWORD, PrometheusAuth.PROMETHEUS_PASSWORD);

    @Test
    void shouldBeValidAndSetEveryVariableEachServiceReads() throws Exception {
        JsonNode config = resolvedConfig();
        JsonNode services = config.path("services");
        Map<String, Class<?>> configs = Map.of(
                "poller-a", PollerConfig.class, "poller-b", PollerConfig.class,
                "streams-a", StreamsAppConfig.class, "streams-b", StreamsAppConfig.class,
                "api-a", ApiConfig.class, "api-b", ApiConfig.class);
        Map<Class<?>, Set<String>> clients = Map.of(
                PollerConfig.class, ConfigVariables.optional(KafkaClientSettings.class, PrometheusAuth.class),
                StreamsAppConfig.class, ConfigVariables.optional(KafkaClientSettings.class, RedisEndpoint.class),
                ApiConfig.class, ConfigVariables.optional(RedisEndpoint.class));
        configs.forEach((service, type) -> {
            Set<String> set = new TreeSet<>();
            services.path(service).path("environment").fieldNames().forEachRemaining(set::add);
            assertThat(set).as("variables of %s", service).containsAll(ConfigVariables.of(type));
            Set<String> unread = new TreeSet<>(set);
            unread.removeAll(ConfigVariables.of(type));
            unread.removeAll(clients.get(type));
            assertThat(unread).as("variables %s sets that its configuration does not read (a typo?)", service)
                    .isEmpty();
        });
        assertThat(services.path("streams-a").path("environment").path("STREAMS_APPLICATION_SERVER").asText())
                .isEqualTo("streams-a:7070");
        assertThat(services.path("streams-b").path("environment").path("STREAMS_APPLICATION_SERVER").asText())
                .isEqualTo("streams-b:7070");
        assertThat(services.path("redis").path("command").toString()).contains("allkeys-lru").contains("maxmemory");
        for (String service : configs.keySet()) {
            assertThat(services.path(service).has("healthcheck")).as("%s has a health check", service).isTrue();
        }
    }

    @Test
    void shouldPassEverySecretAsAComposeSecretFileNeverAsAnEnvironmentValue() throws Exception {
        JsonNode config = resolvedConfig(Map.of());
        config.path("services").fields().forEachRemaining(entry -> {
            String service = entry.getKey();
            JsonNode environment = entry.getValue().path("environment");
            Set<String> mounted = new TreeSet<>();
            entry.getValue().path("secrets").forEach(s -> mounted.add(s.isTextual() ? s.asText()
                    : s.path("source").asText()));
            environment.fields().forEachRemaining(variable -> {
                String name = variable.getKey();
                String value = variable.getValue().asText();
                assertThat(CREDENTIAL_VALUES.contains(name) ? value : "").as("%s: %s holds no credential", service,
                        name).isEmpty();
                if (name.endsWith("_FILE") && !value.isEmpty()
                        && CREDENTIAL_VALUES.contains(name.substring(0, name.length() - "_FILE".length()))) {
                    assertThat(value).as("%s: %s names a compose secret", service, name).startsWith("/run/secrets/");
                    assertThat(mounted).as("%s mounts the secret %s names", service, name)
                            .contains(value.substring("/run/secrets/".length()));
                }
            });
            assertThat(environment.path(RedisEndpoint.REDIS_URL).asText("")).as("%s: REDIS_URL", service)
                    .doesNotContain("@");
        });
        // the streams-app instances and the query-api share the internal API's token
        for (String service : List.of("streams-a", "streams-b", "api-a", "api-b")) {
            assertThat(config.path("services").path(service).path("environment")
                    .path(StreamsAppConfig.STREAMS_IQ_TOKEN_FILE).asText()).isEqualTo("/run/secrets/iq_token");
        }
        // Redis admits no anonymous client: its ACL file turns the default user off
        assertThat(config.path("services").path("redis").path("command").toString()).contains("--aclfile")
                .contains("user default off");
    }

    @Test
    void shouldRefuseToStartWithoutEverySecretFile() throws Exception {
        for (String variable : SECRET_FILES) {
            Map<String, String> without = new LinkedHashMap<>();
            without.put(variable, null);
            Result result = run(without);
            assertThat(result.exitCode()).as("docker-compose config without %s", variable).isNotZero();
            assertThat(result.err()).contains(variable);
        }
    }

    private static JsonNode resolvedConfig() throws Exception {
        return resolvedConfig(Map.of());
    }

    private static JsonNode resolvedConfig(Map<String, String> variables) throws Exception {
        Result result = run(variables);
        assertThat(result.exitCode()).as("docker-compose config: %s", result.err()).isZero();
        return new ObjectMapper(new YAMLFactory()).readTree(result.out());
    }

    private record Result(int exitCode, byte[] out, String err) {}

    /**
     * {@code docker-compose config} with every secret file variable pointing at a temporary file holding a secret
     * (as a user creates them), then {@code variables} applied (a null value unsets one).
     */
    private static Result run(Map<String, String> variables) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("docker-compose", "-f", "docker-compose.yml", "config")
                .directory(ROOT).redirectErrorStream(false);
        for (String variable : SECRET_FILES) {
            Path file = Files.createTempFile("compose-secret", ".txt");
            file.toFile().deleteOnExit();
            Files.writeString(file, "compose-file-it-secret-0123456789abcdef");
            pb.environment().put(variable, file.toString());
        }
        variables.forEach((name, value) -> {
            if (value == null) {
                pb.environment().remove(name);
            } else {
                pb.environment().put(name, value);
            }
        });
        Process process;
        try {
            process = pb.start();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("docker-compose is not installed: run the tests through ./dbm test", e);
        }
        byte[] out = process.getInputStream().readAllBytes();
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), out, err);
    }
}

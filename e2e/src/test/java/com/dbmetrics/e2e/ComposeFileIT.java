package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.api.ApiConfig;
import com.dbmetrics.poller.PollerConfig;
import com.dbmetrics.streams.StreamsAppConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.nio.charset.StandardCharsets;
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

    @Test
    void shouldBeValidAndSetEveryVariableEachServiceReads() throws Exception {
        JsonNode config = resolvedConfig();
        JsonNode services = config.path("services");
        Map<String, Class<?>> configs = Map.of(
                "poller-a", PollerConfig.class, "poller-b", PollerConfig.class,
                "streams-a", StreamsAppConfig.class, "streams-b", StreamsAppConfig.class,
                "api-a", ApiConfig.class, "api-b", ApiConfig.class);
        configs.forEach((service, type) -> {
            Set<String> set = new TreeSet<>();
            services.path(service).path("environment").fieldNames().forEachRemaining(set::add);
            assertThat(set).as("variables of %s", service).containsAll(ConfigVariables.of(type));
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

    private static JsonNode resolvedConfig() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("docker-compose", "-f", "docker-compose.yml", "config")
                .directory(ROOT).redirectErrorStream(false);
        pb.environment().put("DBM_JWT_SECRET_FILE", "/dev/null"); // a path is all `config` needs
        Process process;
        try {
            process = pb.start();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("docker-compose is not installed: run the tests through ./dbm test", e);
        }
        byte[] out = process.getInputStream().readAllBytes();
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("docker-compose config: %s", err).isZero();
        return new ObjectMapper(new YAMLFactory()).readTree(out);
    }
}

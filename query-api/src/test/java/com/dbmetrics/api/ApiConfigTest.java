package com.dbmetrics.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.schemas.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HS256 secret given inline or as a file, each refused by name when wrong. */
class ApiConfigTest {

    private static final String SECRET = "api-config-test-secret-0123456789abcdef";

    @TempDir
    Path dir;

    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>(Map.of(ApiConfig.REDIS_URL, "redis://127.0.0.1:6379",
                ApiConfig.STREAMS_IQ_URLS, "http://127.0.0.1:7070"));
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    @Test
    void shouldReadTheSecretFromTheFileWithoutItsTrailingLineBreak() throws Exception {
        Path file = dir.resolve("secret");
        Files.writeString(file, SECRET + "\n");

        ApiConfig config = ApiConfig.fromEnv(env(ApiConfig.AUTH_JWT_SECRET_FILE, file.toString()));

        assertThat(config.jwtSecret()).hasValue(SECRET);
    }

    @Test
    void shouldRefuseASecretFileThatIsMissingOrTooShort() throws Exception {
        Path shortFile = dir.resolve("short");
        Files.writeString(shortFile, "too-short");

        assertThatThrownBy(() -> ApiConfig.fromEnv(env(ApiConfig.AUTH_JWT_SECRET_FILE, dir.resolve("none").toString())))
                .isInstanceOf(ConfigException.class).hasMessageContaining(ApiConfig.AUTH_JWT_SECRET_FILE);
        assertThatThrownBy(() -> ApiConfig.fromEnv(env(ApiConfig.AUTH_JWT_SECRET_FILE, shortFile.toString())))
                .isInstanceOf(ConfigException.class).hasMessageContaining(ApiConfig.AUTH_JWT_SECRET_FILE)
                .hasMessageContaining("32");
    }

    @Test
    void shouldRefuseTheSecretGivenTwiceOrBesideAJwksFile() throws Exception {
        Path file = dir.resolve("secret");
        Files.writeString(file, SECRET);

        assertThatThrownBy(() -> ApiConfig.fromEnv(env(ApiConfig.AUTH_JWT_SECRET, SECRET,
                ApiConfig.AUTH_JWT_SECRET_FILE, file.toString()))).isInstanceOf(ConfigException.class)
                .hasMessageContaining(ApiConfig.AUTH_JWT_SECRET_FILE);
        assertThatThrownBy(() -> ApiConfig.fromEnv(env(ApiConfig.AUTH_JWT_SECRET_FILE, file.toString(),
                ApiConfig.AUTH_JWKS_FILE, "/etc/jwks.json"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining(ApiConfig.AUTH_JWKS_FILE);
    }
}

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
    private static final String IQ_TOKEN = "api-config-test-iq-token-0123456789abcdef";

    @TempDir
    Path dir;

    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>(Map.of(ApiConfig.REDIS_URL, "redis://127.0.0.1:6379",
                ApiConfig.STREAMS_IQ_URLS, "http://127.0.0.1:7070", ApiConfig.STREAMS_IQ_TOKEN, IQ_TOKEN));
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

    @Test
    void shouldRequireTheStreamsAppTokenNamingTheVariable() throws Exception {
        Map<String, String> without = env(ApiConfig.AUTH_JWT_SECRET, SECRET);
        without.remove(ApiConfig.STREAMS_IQ_TOKEN);
        Path shortToken = dir.resolve("iq-short");
        Files.writeString(shortToken, "short\n");
        Path token = dir.resolve("iq-token");
        Files.writeString(token, IQ_TOKEN + "\n");
        without.put(ApiConfig.STREAMS_IQ_TOKEN_FILE, shortToken.toString());
        Map<String, String> tooShort = new HashMap<>(without);
        without.remove(ApiConfig.STREAMS_IQ_TOKEN_FILE);

        assertThatThrownBy(() -> ApiConfig.fromEnv(without)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(ApiConfig.STREAMS_IQ_TOKEN_FILE);
        assertThatThrownBy(() -> ApiConfig.fromEnv(tooShort)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(ApiConfig.STREAMS_IQ_TOKEN_FILE).hasMessageContaining("32")
                .hasMessageNotContaining("short");
        without.put(ApiConfig.STREAMS_IQ_TOKEN_FILE, token.toString());
        ApiConfig config = ApiConfig.fromEnv(without);
        assertThat(config.iqToken().authorization()).isEqualTo("Bearer " + IQ_TOKEN);
        assertThat(config.toString()).doesNotContain(IQ_TOKEN);
    }

    @Test
    void shouldBindLoopbackAndBoundAuthenticationByDefault() {
        ApiConfig config = ApiConfig.fromEnv(env(ApiConfig.AUTH_JWT_SECRET, SECRET));

        assertThat(config.bindHost()).isEqualTo("127.0.0.1");
        assertThat(config.maxTokenLifetime()).isEqualTo(java.time.Duration.ofHours(24));
        assertThat(config.authFailedPerClient()).isEqualTo(30);
        assertThat(config.authFailedGlobal()).isEqualTo(1000);
        assertThat(ApiConfig.fromEnv(env(ApiConfig.AUTH_JWT_SECRET, SECRET, ApiConfig.API_BIND_HOST, "10.1.2.3"))
                .bindHost()).isEqualTo("10.1.2.3");
        assertThatThrownBy(() -> ApiConfig.fromEnv(env(ApiConfig.AUTH_JWT_SECRET, SECRET,
                ApiConfig.AUTH_FAILED_PER_CLIENT, "0"))).hasMessageContaining(ApiConfig.AUTH_FAILED_PER_CLIENT);
        assertThatThrownBy(() -> ApiConfig.fromEnv(env(ApiConfig.AUTH_JWT_SECRET, SECRET,
                ApiConfig.AUTH_MAX_TOKEN_LIFETIME, "0s"))).hasMessageContaining(ApiConfig.AUTH_MAX_TOKEN_LIFETIME);
    }

    @Test
    void shouldReadRedisCredentialsWithoutShowingThem() throws Exception {
        Path password = dir.resolve("redis-password");
        Files.writeString(password, "redis-pass-0123\n");
        ApiConfig config = ApiConfig.fromEnv(env(ApiConfig.AUTH_JWT_SECRET, SECRET, ApiConfig.REDIS_URL,
                "redis://api@10.0.0.5:6380/2", "REDIS_PASSWORD_FILE", password.toString()));

        assertThat(config.redis().describe()).isEqualTo("redis://api@10.0.0.5:6380/2");
        assertThat(config.redis().password().reveal()).isEqualTo("redis-pass-0123");
        assertThat(config.toString()).doesNotContain("redis-pass-0123");
    }
}

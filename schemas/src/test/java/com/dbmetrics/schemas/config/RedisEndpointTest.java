package com.dbmetrics.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisClientConfig;

class RedisEndpointTest {

    @TempDir
    Path dir;

    @Test
    void shouldKeepUserPasswordAndDatabaseOfTheUrl() {
        RedisEndpoint r = RedisEndpoint.fromEnv(new Env(Map.of("REDIS_URL", "redis://api:p%40ss@cache:6380/2")));
        assertThat(r).extracting(RedisEndpoint::host, RedisEndpoint::port, RedisEndpoint::tls,
                RedisEndpoint::username, RedisEndpoint::database).containsExactly("cache", 6380, false, "api", 2);
        assertThat(r.password().reveal()).isEqualTo("p@ss");
        JedisClientConfig c = r.clientConfig(500, "dbm-test");
        assertThat(c.getUser()).isEqualTo("api");
        assertThat(c.getPassword()).isEqualTo("p@ss");
        assertThat(c.getDatabase()).isEqualTo(2);
        assertThat(c.isSsl()).isFalse();
        assertThat(r.toString()).doesNotContain("p@ss").doesNotContain("p%40ss");
    }

    @Test
    void shouldPreferThePasswordFileAndTrustTheCaForRediss() throws Exception {
        Path pw = Files.writeString(dir.resolve("pw"), "from-file\n");
        Path ca = Path.of(getClass().getResource("/tls/test-ca.pem").toURI());
        RedisEndpoint r = RedisEndpoint.fromEnv(new Env(Map.of("REDIS_URL", "rediss://cache:6390",
                "REDIS_USERNAME", "streams", "REDIS_PASSWORD_FILE", pw.toString(), "REDIS_CA_FILE", ca.toString())));
        JedisClientConfig c = r.clientConfig(500, "dbm-test");
        assertThat(c.isSsl()).isTrue();
        assertThat(c.getSslSocketFactory()).isNotNull();
        assertThat(c.getSslParameters().getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
        assertThat(c.getUser()).isEqualTo("streams");
        assertThat(c.getPassword()).isEqualTo("from-file");
        assertThat(r.describe()).isEqualTo("rediss://streams@cache:6390");
    }

    @Test
    void shouldRefuseBadUrlsWithoutRepeatingThePassword() {
        assertThatThrownBy(() -> RedisEndpoint.parse("http://u:topsecret@cache:1"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("REDIS_URL must be")
                .hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> RedisEndpoint.parse("redis://cache:1/x"))
                .hasMessageContaining("REDIS_URL path must be a database number");
        assertThatThrownBy(() -> RedisEndpoint.fromEnv(new Env(Map.of("REDIS_URL", "redis://cache:1",
                "REDIS_CA_FILE", "/etc/hostname"))))
                .hasMessageContaining("REDIS_CA_FILE is set but REDIS_URL is not rediss://");
    }
}

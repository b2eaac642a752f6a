package com.dbmetrics.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;

class RedisTopologyTest {

    @TempDir
    Path dir;

    @Test
    void shouldBeOneNodeUnlessSentinelsOrClusterNodesAreNamed() {
        RedisEndpoint r = RedisEndpoint.fromEnv(new Env(Map.of("REDIS_URL", "redis://cache:6380")));
        assertThat(r.topology()).isEqualTo(RedisTopology.SINGLE);
        assertThat(r.describe()).isEqualTo("redis://cache:6380");
    }

    @Test
    void shouldReadSentinelsTheirMasterAndTheirOwnPassword() throws Exception {
        Path pw = Files.writeString(dir.resolve("sentinels"), "sentinel-secret\n");
        RedisEndpoint r = RedisEndpoint.fromEnv(new Env(Map.of("REDIS_URL", "rediss://api@dbmetrics",
                "REDIS_PASSWORD", "node-secret", "REDIS_SENTINELS", "s1:26379, s2:26380,s3:26381",
                "REDIS_SENTINEL_MASTER", "dbmetrics", "REDIS_SENTINEL_PASSWORD_FILE", pw.toString())));
        RedisTopology t = r.topology();
        assertThat(t.kind()).isEqualTo(RedisTopology.Kind.SENTINEL);
        assertThat(t.nodes()).containsExactly(new HostAndPort("s1", 26379), new HostAndPort("s2", 26380),
                new HostAndPort("s3", 26381));
        assertThat(t.master()).isEqualTo("dbmetrics");
        JedisClientConfig sentinels = r.sentinelClientConfig(300, "x");
        assertThat(sentinels.getPassword()).isEqualTo("sentinel-secret");
        assertThat(sentinels.getUser()).isNull();
        assertThat(sentinels.isSsl()).as("the nodes' TLS").isTrue();
        assertThat(r.clientConfig(300, "x").getPassword()).isEqualTo("node-secret");
        assertThat(r.toString()).doesNotContain("secret");
        assertThat(r.describe()).endsWith("(sentinel master dbmetrics via s1:26379,s2:26380,s3:26381)");
    }

    @Test
    void shouldReadClusterSeeds() {
        RedisTopology t = RedisTopology.fromEnv(new Env(Map.of("REDIS_CLUSTER_NODES", "10.0.0.1:7000,10.0.0.2:7001")));
        assertThat(t.kind()).isEqualTo(RedisTopology.Kind.CLUSTER);
        assertThat(t.nodes()).containsExactly(new HostAndPort("10.0.0.1", 7000), new HostAndPort("10.0.0.2", 7001));
    }

    @Test
    void shouldRefuseContradictoryOrIncompleteTopologies() {
        assertThatThrownBy(() -> RedisTopology.fromEnv(new Env(Map.of("REDIS_SENTINELS", "s:1",
                "REDIS_CLUSTER_NODES", "c:2")))).hasMessage("set REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both");
        assertThatThrownBy(() -> RedisTopology.fromEnv(new Env(Map.of("REDIS_SENTINELS", "s:1"))))
                .hasMessageContaining("REDIS_SENTINEL_MASTER must name the primary");
        assertThatThrownBy(() -> RedisTopology.fromEnv(new Env(Map.of("REDIS_CLUSTER_NODES", "c"))))
                .hasMessage("REDIS_CLUSTER_NODES must be comma-separated host:port but had 'c'");
        assertThatThrownBy(() -> RedisTopology.fromEnv(new Env(Map.of("REDIS_CLUSTER_NODES", "c:99999"))))
                .hasMessage("REDIS_CLUSTER_NODES must name ports 1-65535 but had 'c:99999'");
        assertThatThrownBy(() -> RedisTopology.fromEnv(new Env(Map.of("REDIS_CLUSTER_NODES", " , "))))
                .hasMessage("REDIS_CLUSTER_NODES must name at least one host:port");
    }
}

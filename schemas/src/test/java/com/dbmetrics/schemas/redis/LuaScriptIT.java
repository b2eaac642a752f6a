package com.dbmetrics.schemas.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.schemas.testing.TestServices;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.JedisPooled;

/** Against the real Redis of {@code ./dbm test}: the script survives Redis forgetting it. */
@Timeout(30)
class LuaScriptIT {

    private final String key = "lua-script-it:" + UUID.randomUUID();
    /** As the Redis admin user: SCRIPT FLUSH is @dangerous, which no app user may run. */
    private final JedisPooled redis = TestServices.redis(TestServices.REDIS_ADMIN);

    @AfterEach
    void tearDown() {
        redis.del(key);
        redis.close();
    }

    @Test
    void shouldRunTheScriptAgainAfterRedisForgotIt() {
        LuaScript script = LuaScript.fromClasspath("/redis/lua-script-it.lua");
        assertThat(script.eval(redis, List.of(key), List.of("21"))).isEqualTo(42L);

        redis.scriptFlush(); // as after a Redis restart or failover: NOSCRIPT for the SHA we hold

        assertThat(script.eval(redis, List.of(key), List.of("4"))).isEqualTo(8L);
        assertThat(redis.get(key)).isEqualTo("2");
    }

    @Test
    void shouldNameAMissingResource() {
        assertThatThrownBy(() -> LuaScript.fromClasspath("/redis/no-such.lua"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("/redis/no-such.lua");
    }
}

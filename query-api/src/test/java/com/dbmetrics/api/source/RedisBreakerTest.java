package com.dbmetrics.api.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

class RedisBreakerTest {

    private final AtomicLong nanos = new AtomicLong(1_000);
    private final RedisBreaker breaker = new RedisBreaker(3, Duration.ofSeconds(1), nanos::get);
    private final AtomicInteger calls = new AtomicInteger();

    private String timesOut() {
        calls.incrementAndGet();
        throw new JedisConnectionException("Read timed out");
    }

    private String answers() {
        calls.incrementAndGet();
        return "PONG";
    }

    @Test
    void shouldOpenAfterThreeUnansweredCallsInARowAndThenNotCallRedis() {
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> breaker.call(this::timesOut)).isInstanceOf(JedisConnectionException.class);
        }
        assertThat(breaker.isOpen()).isTrue();

        assertThatThrownBy(() -> breaker.call(this::answers)).isInstanceOf(RedisBreaker.Open.class);
        assertThat(calls).hasValue(3);
        assertThat(breaker.timesOpened()).isEqualTo(1);
        assertThat(breaker.shortCircuited()).isEqualTo(1);
    }

    @Test
    void shouldNotOpenWhenAnAnswerComesBetweenFailures() {
        breaker.call(this::answers);
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> breaker.call(this::timesOut)).isInstanceOf(JedisConnectionException.class);
        }
        breaker.call(this::answers);
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> breaker.call(this::timesOut)).isInstanceOf(JedisConnectionException.class);
        }
        assertThat(breaker.isOpen()).isFalse();
    }

    @Test
    void shouldCountAnErrorReplyAsAnAnswer() {
        for (int i = 0; i < 5; i++) {
            assertThatThrownBy(() -> breaker.call(() -> {
                throw new JedisDataException("NOSCRIPT No matching script");
            })).isInstanceOf(JedisDataException.class);
        }
        assertThat(breaker.isOpen()).isFalse();
    }

    @Test
    void shouldLetOneProbeThroughAfterTheRetryAndCloseWhenItIsAnswered() {
        open();
        nanos.addAndGet(Duration.ofMillis(999).toNanos());
        assertThatThrownBy(() -> breaker.call(this::answers)).isInstanceOf(RedisBreaker.Open.class);
        nanos.addAndGet(Duration.ofMillis(1).toNanos());

        // while the probe is under way, other calls still fail at once
        String probed = breaker.call(() -> {
            assertThatThrownBy(() -> breaker.call(this::answers)).isInstanceOf(RedisBreaker.Open.class);
            return answers();
        });

        assertThat(probed).isEqualTo("PONG");
        assertThat(breaker.isOpen()).isFalse();
        assertThat(breaker.call(this::answers)).isEqualTo("PONG");
    }

    @Test
    void shouldOpenForAnotherRetryWhenTheProbeIsNotAnswered() {
        open();
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThatThrownBy(() -> breaker.call(this::timesOut)).isInstanceOf(JedisConnectionException.class);

        assertThat(breaker.isOpen()).isTrue();
        nanos.addAndGet(Duration.ofMillis(500).toNanos());
        assertThatThrownBy(() -> breaker.call(this::answers)).isInstanceOf(RedisBreaker.Open.class);
        nanos.addAndGet(Duration.ofMillis(500).toNanos());
        assertThat(breaker.call(this::answers)).isEqualTo("PONG");
        assertThat(breaker.timesOpened()).isEqualTo(1);
    }

    private void open() {
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> breaker.call(this::timesOut)).isInstanceOf(JedisConnectionException.class);
        }
        assertThat(breaker.isOpen()).isTrue();
    }
}

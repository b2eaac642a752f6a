package com.dbmetrics.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvTest {

    @Test
    void shouldParseEveryDurationForm() {
        Env env = new Env(Map.of("A", "15", "B", "15s", "C", "500ms", "D", "1m", "E", "2h"));

        assertThat(env.duration("A", null)).isEqualTo(Duration.ofSeconds(15));
        assertThat(env.duration("B", null)).isEqualTo(Duration.ofSeconds(15));
        assertThat(env.duration("C", null)).isEqualTo(Duration.ofMillis(500));
        assertThat(env.duration("D", null)).isEqualTo(Duration.ofMinutes(1));
        assertThat(env.duration("E", null)).isEqualTo(Duration.ofHours(2));
        assertThat(env.duration("UNSET", Duration.ofSeconds(7))).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void shouldNameTheVariableWhenValueIsBad() {
        Env env = new Env(Map.of("METRICS_POLL_INTERVAL", "-1", "N", "x", "F", "maybe"));

        assertThatThrownBy(() -> env.duration("METRICS_POLL_INTERVAL", null))
                .isInstanceOf(ConfigException.class).hasMessageContaining("METRICS_POLL_INTERVAL").hasMessageContaining("-1");
        assertThatThrownBy(() -> env.integer("N", 1)).hasMessageContaining("N must be an integer");
        assertThatThrownBy(() -> env.flag("F", true)).hasMessageContaining("F must be true or false");
        assertThatThrownBy(() -> env.required("MISSING")).hasMessage("MISSING must be set");
        assertThatThrownBy(() -> Env.requirePositive("T", Duration.ZERO)).hasMessageContaining("T must be > 0");
    }
}

package com.dbmetrics.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretTest {

    @TempDir
    Path dir;

    @Test
    void shouldPreferTheFileAndNeverShowTheValue() throws Exception {
        Path f = Files.writeString(dir.resolve("s"), "from-file\n");
        Secret s = Secret.fromEnv(new Env(Map.of("X_SECRET", "from-env", "X_SECRET_FILE", f.toString())), "X_SECRET");
        assertThat(s.reveal()).isEqualTo("from-file");
        assertThat(s.source()).isEqualTo("X_SECRET_FILE");
        assertThat(s).hasToString("****");
        assertThat(Secret.fromEnv(new Env(Map.of("X_SECRET", "v")), "X_SECRET").reveal()).isEqualTo("v");
        assertThat(Secret.fromEnv(new Env(Map.of()), "X_SECRET")).isNull();
    }

    @Test
    void shouldRefuseAnEmptyOrUnreadableFile() throws Exception {
        Path empty = Files.writeString(dir.resolve("e"), "\n");
        assertThatThrownBy(() -> Secret.fromEnv(new Env(Map.of("X_SECRET_FILE", empty.toString())), "X_SECRET"))
                .isInstanceOf(ConfigException.class).hasMessage("X_SECRET_FILE must not be empty");
        assertThatThrownBy(() -> Secret.fromEnv(new Env(Map.of("X_SECRET_FILE", "/nonexistent/x")), "X_SECRET"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("X_SECRET_FILE must name a readable file");
    }
}

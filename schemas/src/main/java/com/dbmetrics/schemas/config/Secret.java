package com.dbmetrics.schemas.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A credential read from configuration. It never shows itself: {@link #toString()} is {@code "****"}, so a config
 * record that holds one can be logged, and a validation message names the variable, never the value.
 */
public final class Secret {

    private final String value;
    private final String source;

    private Secret(String value, String source) {
        this.value = Objects.requireNonNull(value);
        this.source = source;
    }

    public static Secret of(String value, String source) {
        if (value == null || value.isEmpty()) {
            throw new ConfigException(source + " must not be empty");
        }
        return new Secret(value, source);
    }

    /**
     * {@code NAME_FILE} (a path whose content, trailing newline removed, is the secret: how Kubernetes and compose
     * mount secrets) or else {@code NAME} (the value itself); {@code null} when neither is set.
     */
    public static Secret fromEnv(Env env, String name) {
        String file = env.string(name + "_FILE", null);
        if (file != null) {
            return of(readFile(name + "_FILE", Path.of(file)), name + "_FILE");
        }
        String value = env.string(name, null);
        return value == null ? null : of(value, name);
    }

    /** The file's content without its trailing newline; the message names the variable, not the content. */
    public static String readFile(String variable, Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new ConfigException(variable + " must name a readable file but " + file + " could not be read ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    /** The secret itself: pass it to the client that needs it, never to a log. */
    public String reveal() {
        return value;
    }

    /** The variable it came from, for messages. */
    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return "****";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && s.value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }
}

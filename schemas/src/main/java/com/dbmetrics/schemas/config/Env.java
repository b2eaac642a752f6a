package com.dbmetrics.schemas.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads configuration variables from an environment map (only {@code main} passes {@code System.getenv()}), so every
 * process parses durations, numbers and flags the same way and names the variable when a value is bad.
 */
public final class Env {

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)?");

    private final Map<String, String> values;

    public Env(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    /** The trimmed value, or {@code fallback} when unset or blank. */
    public String string(String name, String fallback) {
        String value = values.get(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    /** The value, or a {@link ConfigException} naming the variable when it is unset. */
    public String required(String name) {
        String value = string(name, null);
        if (value == null) {
            throw new ConfigException(name + " must be set");
        }
        return value;
    }

    public int integer(String name, int fallback) {
        String value = string(name, null);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new ConfigException(name + " must be an integer but was \"" + value + "\"");
        }
    }

    public boolean flag(String name, boolean fallback) {
        String value = string(name, null);
        if (value == null) {
            return fallback;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1", "on" -> true;
            case "false", "no", "0", "off" -> false;
            default -> throw new ConfigException(name + " must be true or false but was \"" + value + "\"");
        };
    }

    /** Accepts {@code 15} (seconds), {@code 15s}, {@code 500ms}, {@code 1m}, {@code 1h}. */
    public Duration duration(String name, Duration fallback) {
        String value = string(name, null);
        return value == null ? fallback : parseDuration(name, value);
    }

    public static Duration parseDuration(String name, String value) {
        Matcher m = DURATION.matcher(value.trim());
        if (!m.matches()) {
            throw new ConfigException(name + " must be a duration like 15, 15s, 500ms or 1m but was \"" + value + "\"");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        };
    }

    /** Throws naming the variable unless {@code duration > 0}. */
    public static Duration requirePositive(String name, Duration duration) {
        if (duration == null || duration.isZero() || duration.isNegative()) {
            throw new ConfigException(name + " must be > 0 but was " + duration);
        }
        return duration;
    }

    /** Throws naming the variable unless {@code value >= min}. */
    public static int requireAtLeast(String name, int value, int min) {
        if (value < min) {
            throw new ConfigException(name + " must be >= " + min + " but was " + value);
        }
        return value;
    }
}

package com.dbmetrics.schemas;

import java.util.regex.Pattern;

/** The shape every {@code database_id}, {@code domain} and {@code project} must have (docs/architecture.md, Identifiers). */
public final class Identifiers {

    /** 1–128 characters of {@code [A-Za-z0-9._-]}, not starting with a dot. */
    public static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");

    private Identifiers() {}

    /** {@link #PATTERN}, checked by hand: it runs three times on every API request. */
    public static boolean isValid(String value) {
        if (value == null || value.isEmpty() || value.length() > 128 || value.charAt(0) == '.') {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
                    || c == '-' || c == '.';
            if (!allowed) {
                return false;
            }
        }
        return true;
    }

    /** Returns {@code value} or throws naming {@code what} when it is not a valid identifier. */
    public static String require(String what, String value) {
        if (!isValid(value)) {
            throw new IllegalArgumentException(what + " must match " + PATTERN.pattern() + " but was " + quote(value));
        }
        return value;
    }

    private static String quote(String value) {
        if (value == null) {
            return "null";
        }
        String shown = value.length() > 40 ? value.substring(0, 40) + "…" : value;
        return '"' + shown + '"';
    }
}

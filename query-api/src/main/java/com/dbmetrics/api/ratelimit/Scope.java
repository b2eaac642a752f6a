package com.dbmetrics.api.ratelimit;

import java.util.Locale;

/** What a limit counts: one user's reads, the reads of one database that reach the source, or every read. */
public enum Scope {
    USER, DATABASE, GLOBAL;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}

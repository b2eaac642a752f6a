package com.dbmetrics.poller.catalogue;

/** An inventory source could not be read; {@link #kind()} says why, for counting. */
public final class DiscoveryException extends Exception {

    private final String kind;

    public DiscoveryException(String kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public String kind() {
        return kind;
    }
}

package com.dbmetrics.schemas.config;

/** A configuration value a process refuses to start with; the message names the variable. */
public final class ConfigException extends IllegalArgumentException {
    public ConfigException(String message) {
        super(message);
    }
}

package com.dbmetrics.api.http;

import java.util.Map;

/** An expected error answer (status, client-safe message, extra headers); rendered by {@link ErrorMapper}. */
final class ApiError extends RuntimeException {

    final int status;
    final Map<String, String> headers;

    ApiError(int status, String message, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.headers = headers;
    }

    ApiError(int status, String message) {
        this(status, message, Map.of());
    }
}

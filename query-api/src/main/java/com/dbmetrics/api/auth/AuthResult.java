package com.dbmetrics.api.auth;

/** The outcome of checking a bearer token: a principal, or why it was refused (safe to show the client). */
public sealed interface AuthResult {

    record Authenticated(Principal principal) implements AuthResult {}

    record Rejected(String reason) implements AuthResult {}

    /** Too many failed checks from this client or overall: refused without checking, retry after the seconds. */
    record Throttled(long retryAfterSeconds) implements AuthResult {}
}

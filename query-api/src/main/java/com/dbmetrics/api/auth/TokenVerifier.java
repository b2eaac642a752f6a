package com.dbmetrics.api.auth;

import java.util.List;

/** Checks a compact JWT's signature and claims; {@link JwtAuthenticator} adds caching, lifetime and failure bounds. */
interface TokenVerifier {

    /** What a valid token says: its subject, tenants and roles, expiry and (when present) issue time, in epoch ms. */
    record Verified(String subject, List<String> tenants, List<String> roles, long expiresAtMillis,
            Long issuedAtMillis) {}

    /** A token that is not valid (any reason: the client is told no more than that). */
    final class InvalidToken extends Exception {
        InvalidToken(String reason) {
            super(reason, null, false, false); // no stack trace: thrown per bad token
        }
    }

    Verified verify(String token) throws InvalidToken;
}

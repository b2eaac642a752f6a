package com.dbmetrics.api.auth;

/** The JWT claims the API reads, by name: one place for {@link JwtAuthenticator} and {@link TokenMinter}. */
public final class Claims {

    /** The user id: per-user rate limits count by it. */
    public static final String SUBJECT = "sub";
    /** {@code ["acme/shop", "acme/*"]}: the domain/project pairs the user may read. */
    public static final String TENANTS = "tenants";
    /** {@code ["admin"]} for the operator endpoints. */
    public static final String ROLES = "roles";
    public static final String ISSUER = "iss";
    public static final String AUDIENCE = "aud";
    /** Required: a token without an expiry is refused. */
    public static final String EXPIRES = "exp";
    public static final String ISSUED_AT = "iat";

    private Claims() {}
}

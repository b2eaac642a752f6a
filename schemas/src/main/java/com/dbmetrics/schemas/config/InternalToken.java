package com.dbmetrics.schemas.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The shared secret of the internal interactive-query API: the query-api and every streams-app instance send it as
 * {@code Authorization: Bearer <token>}, and the IQ server answers only requests that carry it, compared in constant
 * time. Both sides read it the same way: {@code STREAMS_IQ_TOKEN_FILE} (preferred) or {@code STREAMS_IQ_TOKEN}; at least
 * {@value #MIN_BYTES} bytes of printable ASCII. {@link #toString()} is {@code "****"}.
 */
public final class InternalToken {

    public static final int MIN_BYTES = 32;

    private final Secret secret;
    private final byte[] expectedHeader;

    private InternalToken(Secret secret) {
        String value = secret.reveal();
        if (value.length() < MIN_BYTES || !value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new ConfigException(secret.source() + " must hold at least " + MIN_BYTES
                    + " bytes of printable ASCII without spaces");
        }
        this.secret = secret;
        this.expectedHeader = header(value).getBytes(StandardCharsets.US_ASCII);
    }

    /** The token of {@code NAME_FILE} or {@code NAME} ({@link Secret#fromEnv}); {@code null} when neither is set. */
    public static InternalToken fromEnv(Env env, String name) {
        Secret secret = Secret.fromEnv(env, name);
        return secret == null ? null : new InternalToken(secret);
    }

    public static InternalToken of(Secret secret) {
        return new InternalToken(secret);
    }

    /** A fresh random token: for an instance run inside another program, which nobody else needs to call. */
    public static InternalToken random() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return new InternalToken(Secret.of(HexFormat.of().formatHex(bytes), "random internal-API token"));
    }

    private static String header(String token) {
        return "Bearer " + token;
    }

    /** The value of the {@code Authorization} header to send. */
    public String authorization() {
        return header(secret.reveal());
    }

    /** Whether an {@code Authorization} header ({@code null} when absent) carries this token; constant time. */
    public boolean accepts(String authorization) {
        return authorization != null
                && MessageDigest.isEqual(expectedHeader, authorization.getBytes(StandardCharsets.US_ASCII));
    }

    /** The variable it came from, for messages (never the value). */
    public String source() {
        return secret.source();
    }

    @Override
    public String toString() {
        return "****";
    }
}

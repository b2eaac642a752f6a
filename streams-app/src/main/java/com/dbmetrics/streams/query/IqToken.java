package com.dbmetrics.streams.query;

import com.dbmetrics.schemas.config.ConfigException;
import com.dbmetrics.schemas.config.Env;
import com.dbmetrics.schemas.config.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The shared secret of the internal interactive-query API: the query-api and every streams-app instance send it as
 * {@code Authorization: Bearer <token>}, and the IQ server answers only requests that carry it, compared in constant
 * time. Read from {@code STREAMS_IQ_TOKEN_FILE} (preferred) or {@value #STREAMS_IQ_TOKEN}; at least
 * {@value #MIN_BYTES} bytes of printable ASCII. {@link #toString()} is {@code "****"}.
 */
public final class IqToken {

    /** The shared secret itself, when no {@code STREAMS_IQ_TOKEN_FILE} is given. */
    public static final String STREAMS_IQ_TOKEN = "STREAMS_IQ_TOKEN";
    static final int MIN_BYTES = 32;

    private final Secret secret;
    private final byte[] expectedHeader;

    private IqToken(Secret secret) {
        String value = secret.reveal();
        if (value.length() < MIN_BYTES || !value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new ConfigException(secret.source() + " must hold at least " + MIN_BYTES
                    + " bytes of printable ASCII without spaces");
        }
        this.secret = secret;
        this.expectedHeader = header(value).getBytes(StandardCharsets.US_ASCII);
    }

    /** The token of {@code STREAMS_IQ_TOKEN_FILE} or {@code STREAMS_IQ_TOKEN}; {@code null} when neither is set. */
    public static IqToken fromEnv(Env env) {
        Secret secret = Secret.fromEnv(env, STREAMS_IQ_TOKEN);
        return secret == null ? null : new IqToken(secret);
    }

    public static IqToken of(Secret secret) {
        return new IqToken(secret);
    }

    /** A fresh random token: for an instance run inside another program, which nobody else needs to call. */
    public static IqToken random() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return new IqToken(Secret.of(HexFormat.of().formatHex(bytes), "random internal-API token"));
    }

    private static String header(String token) {
        return "Bearer " + token;
    }

    /** The value of the {@code Authorization} header to send. */
    String authorization() {
        return header(secret.reveal());
    }

    /** Whether an {@code Authorization} header ({@code null} when absent) carries this token; constant time. */
    boolean accepts(String authorization) {
        return authorization != null
                && MessageDigest.isEqual(expectedHeader, authorization.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public String toString() {
        return "****";
    }
}

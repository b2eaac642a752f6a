package com.dbmetrics.api.service;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.GZIPOutputStream;

/**
 * An answer's bytes held for many readers (a rendered history slice, a rendered Prometheus-style range answer), with
 * their gzip encoding made once, for the first reader that accepts it, and kept: browsers and Go's HTTP clients
 * (Grafana's, promtool's) all ask for gzip, and compressing a held body again for every one of them would cost more
 * than serving it. Answers made for one reader are left to Javalin's own compression.
 */
public final class HeldBody {

    /**
     * Bodies smaller than this are sent as they are, as Javalin's own compression does (one packet; its
     * {@code CompressionStrategy}'s default, which {@code HeldBodyTest} holds it to).
     */
    public static final int MIN_GZIP_BYTES = 1500;

    private final byte[] plain;
    private volatile byte[] gzip; // made at most a few times: concurrent first readers may each make it

    public HeldBody(byte[] plain) {
        this.plain = plain;
    }

    public byte[] plain() {
        return plain;
    }

    /** Worth sending gzipped to a client that accepts it. */
    public boolean compressible() {
        return plain.length >= MIN_GZIP_BYTES;
    }

    /** The gzip encoding of {@link #plain()}, made on first use. */
    public byte[] gzip() {
        byte[] g = gzip;
        if (g == null) {
            g = compress(plain);
            gzip = g;
        }
        return g;
    }

    static byte[] compress(byte[] plain) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(plain.length / 4 + 64);
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 8192)) {
            gz.write(plain);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing to memory: not expected
        }
        return out.toByteArray();
    }

    /**
     * Whether an {@code Accept-Encoding} header value accepts gzip: a {@code gzip} (or {@code x-gzip}, or {@code *})
     * coding whose quality is not 0 (RFC 9110, section 12.5.3).
     */
    public static boolean acceptsGzip(String acceptEncoding) {
        if (acceptEncoding == null || acceptEncoding.isEmpty()) {
            return false;
        }
        boolean star = false;
        for (String coding : acceptEncoding.split(",")) {
            int semi = coding.indexOf(';');
            String name = (semi < 0 ? coding : coding.substring(0, semi)).trim();
            boolean refused = semi >= 0 && zeroQuality(coding.substring(semi + 1));
            if (name.equalsIgnoreCase("gzip") || name.equalsIgnoreCase("x-gzip")) {
                return !refused;
            }
            if (name.equals("*")) {
                star = !refused;
            }
        }
        return star;
    }

    private static boolean zeroQuality(String params) {
        for (String param : params.split(";")) {
            String p = param.trim();
            if (p.regionMatches(true, 0, "q=", 0, 2)) {
                try {
                    return Double.parseDouble(p.substring(2).trim()) == 0;
                } catch (NumberFormatException e) {
                    return true; // a malformed quality: not taken as acceptance
                }
            }
        }
        return false;
    }
}

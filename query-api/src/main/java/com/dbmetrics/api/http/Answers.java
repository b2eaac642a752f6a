package com.dbmetrics.api.http;

import com.dbmetrics.api.ratelimit.Decision;
import com.dbmetrics.api.service.HeldBody;
import com.dbmetrics.api.service.ReadResult;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Writes a service answer: the body or error, freshness headers, and the {@code RateLimit-*} headers. */
final class Answers {

    private Answers() {}

    static void write(Context ctx, ReadResult.Answer answer) {
        rateHeaders(ctx, answer.rate());
        ReadResult result = answer.result();
        if (result instanceof ReadResult.Ok ok) {
            if (ok.etag() != null) {
                ctx.header("ETag", ok.etag());
                ctx.header("Age", Long.toString(ok.ageSeconds()));
            }
            ctx.header("X-Cache", ok.layer());
            ctx.header("Cache-Control", "private, max-age=" + ok.maxAgeSeconds());
            if (ok.notModified()) {
                ctx.status(304);
            } else {
                ctx.contentType("application/json");
                writeBody(ctx, ok.body(), ok.held());
            }
        } else if (result instanceof ReadResult.BadRequest bad) {
            throw new ApiError(400, bad.message());
        } else if (result instanceof ReadResult.NotFound) {
            throw new ApiError(404, "Database not found");
        } else if (result instanceof ReadResult.Unavailable unavailable) {
            throw new ApiError(503, "Metrics temporarily unavailable",
                    Map.of("Retry-After", Integer.toString(unavailable.retryAfterSeconds())));
        } else if (result instanceof ReadResult.RateLimited limited) {
            tooMany(ctx, limited.decision());
        }
    }

    /**
     * Writes the body straight to the response stream: through Javalin's compression wrapper, which decides on gzip at
     * this one write as it would for {@code result(bytes)}, when the body is large enough for it to compress; else
     * past it, since it would only check the content type against its MIME lists and write the bytes as they are (JFR:
     * 5 % of a small answer's CPU). {@code result(bytes)} would wrap the bytes in a stream and copy them through a new
     * 32 KB buffer per response: 70 % of the API's allocation on L1 hits (JFR).
     */
    static void writeBody(Context ctx, byte[] body) {
        write(ctx, body, body.length >= HeldBody.MIN_GZIP_BYTES);
    }

    private static void write(Context ctx, byte[] body, boolean mayCompress) {
        try {
            (mayCompress ? ctx.outputStream() : ctx.res().getOutputStream()).write(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A held body (null: none) goes out as its gzip encoding, made once for all readers, when the client accepts gzip
     * and the body is worth it; else as {@link #writeBody(Context, byte[])} writes {@code body}. A Content-Encoding
     * set here keeps Javalin's compression from compressing it again.
     */
    static void writeBody(Context ctx, byte[] body, HeldBody held) {
        if (held == null || !held.compressible()) {
            writeBody(ctx, body);
            return;
        }
        ctx.res().addHeader("Vary", "Accept-Encoding"); // added: CORS may have set Vary: Origin
        if (!HeldBody.acceptsGzip(ctx.header("Accept-Encoding"))) {
            writeBody(ctx, body);
            return;
        }
        ctx.header("Content-Encoding", "gzip");
        write(ctx, held.gzip(), false);
    }

    static void rateHeaders(Context ctx, Decision rate) {
        if (rate == null || rate.scope() == null) {
            return;
        }
        ctx.header("RateLimit-Limit", Long.toString(rate.limit()));
        ctx.header("RateLimit-Remaining", Long.toString(rate.remaining()));
        ctx.header("RateLimit-Reset", Long.toString(rate.resetSeconds()));
    }

    private static void tooMany(Context ctx, Decision decision) {
        if (decision.scope() == null) {
            throw new ApiError(503, "Rate limiter unavailable", Map.of("Retry-After", "1"));
        }
        ctx.header("Retry-After", Long.toString(decision.retryAfterSeconds()));
        ctx.header("RateLimit-Limit", Long.toString(decision.limit()));
        ctx.header("RateLimit-Remaining", "0");
        ctx.header("RateLimit-Reset", Long.toString(decision.retryAfterSeconds()));
        String body = "{\"error\":\"Rate limit exceeded\",\"retry_after\":" + decision.retryAfterSeconds()
                + ",\"limit\":" + decision.limit() + ",\"remaining\":0,\"scope\":\"" + decision.scope().wireName()
                + "\",\"status\":429}";
        ctx.status(429).contentType("application/json").result(body.getBytes(StandardCharsets.UTF_8));
    }
}

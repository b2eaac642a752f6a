package com.dbmetrics.api.http;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place error bodies are written: {@code {"error": "...", "status": N}}, never anything internal. */
final class ErrorMapper {

    private static final Logger log = LoggerFactory.getLogger(ErrorMapper.class);

    private ErrorMapper() {}

    static void write(Context ctx, int status, String message) {
        ctx.status(status).contentType("application/json")
                .result(("{\"error\":\"" + escape(message) + "\",\"status\":" + status + "}")
                        .getBytes(StandardCharsets.UTF_8));
    }

    static void apiError(ApiError e, Context ctx) {
        e.headers.forEach(ctx::header);
        write(ctx, e.status, e.getMessage());
    }

    static void unexpected(Exception e, Context ctx) {
        log.error("Unhandled error on {} {}", ctx.method(), ctx.path(), e);
        write(ctx, 500, "Internal error");
    }

    /** Client-safe text for a status Javalin or Jetty produced before any handler ran. */
    static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad request";
            case 404 -> "Not found";
            case 405 -> "Method not allowed";
            case 413 -> "Request too large";
            case 414 -> "URI too long";
            case 431 -> "Request headers too large";
            default -> "Internal error";
        };
    }

    private static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}

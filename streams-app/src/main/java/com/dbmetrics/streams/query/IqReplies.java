package com.dbmetrics.streams.query;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.javalin.http.Context;

/**
 * Writes the interactive-query server's answers: JSON, the store's lag in {@link IqServer#STORE_LAG_HEADER} when it
 * is behind, and every error as {@code {"error","status"}} with nothing internal in it.
 */
final class IqReplies {

    /** The 503 of a store that cannot answer now. */
    static final String STORES_UNAVAILABLE = "Streams state is not available now (rebalancing or restoring)";

    private IqReplies() {}

    static void json(Context ctx, byte[] body, long lagOffsets) {
        if (lagOffsets > 0) {
            ctx.header(IqServer.STORE_LAG_HEADER, Long.toString(lagOffsets));
        }
        ctx.contentType("application/json").result(body);
    }

    static void error(Context ctx, int status, String message) {
        String body = JsonNodeFactory.instance.objectNode().put("error", message).put("status", status).toString();
        ctx.status(status).contentType("application/json").result(body);
    }

    /** 503 with {@code Retry-After: 1}. */
    static void unavailable(Context ctx, String message) {
        ctx.header("Retry-After", "1");
        error(ctx, 503, message);
    }
}

package com.dbmetrics.api.http;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Refuses a path or query string that does not decode (a bad percent escape or invalid UTF-8) with 400. Left alone,
 * the router would fail on the path (a 500) and the server would drop every parameter of the query, so a request for
 * page 5 would silently get page 1.
 */
final class RequestTargetCheck implements Handler {

    @Override
    public void handle(Context ctx) {
        if (!decodes(ctx.path())) {
            throw new ApiError(400, "Malformed path");
        }
        if (!queryDecodes(ctx)) {
            throw new ApiError(400, "Malformed query string");
        }
    }

    /** Whether the request's path and query string both decode (the Prometheus routes answer in their own format). */
    static boolean targetDecodes(Context ctx) {
        return decodes(ctx.path()) && queryDecodes(ctx);
    }

    private static boolean queryDecodes(Context ctx) {
        String query = ctx.queryString();
        return query == null || decodes(query);
    }

    static boolean decodes(String query) {
        byte[] bytes = new byte[query.length()];
        int n = 0;
        for (int i = 0; i < query.length(); i++) {
            char c = query.charAt(i);
            if (c == '%') {
                if (i + 2 >= query.length() || hex(query.charAt(i + 1)) < 0 || hex(query.charAt(i + 2)) < 0) {
                    return false;
                }
                bytes[n++] = (byte) (hex(query.charAt(i + 1)) * 16 + hex(query.charAt(i + 2)));
                i += 2;
            } else if (c > 0x7e || c < 0x20) {
                return false;
            } else {
                bytes[n++] = (byte) c;
            }
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, 0, n));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }
}

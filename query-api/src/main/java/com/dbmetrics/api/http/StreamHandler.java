package com.dbmetrics.api.http;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.live.StreamHub;
import com.dbmetrics.api.service.StreamService;
import io.javalin.http.Context;
import jakarta.servlet.AsyncContext;
import java.nio.charset.StandardCharsets;

/**
 * The two live streams, {@code .../databases/{db_id}/metrics/stream} and {@code .../databases/stream}: refused with the
 * same answers as the reads (or 429 when a stream limit is reached), else a {@code text/event-stream} that stays open.
 * An open stream holds no thread and no slot of the overload guard: the request goes asynchronous and its writes are
 * non-blocking ({@code live.LiveStream}).
 */
final class StreamHandler {

    private final StreamService service;
    private final StreamHub hub;

    StreamHandler(StreamService service, StreamHub hub) {
        this.service = service;
        this.hub = hub;
    }

    void database(Context ctx) {
        Principal caller = ctx.attribute(Authentication.PRINCIPAL);
        start(ctx, service.openDatabase(caller, ctx.pathParam("domain"), ctx.pathParam("project"),
                ctx.pathParam("db_id"), ctx.queryParam("fields"), lastEventId(ctx)));
    }

    void project(Context ctx) {
        Principal caller = ctx.attribute(Authentication.PRINCIPAL);
        start(ctx, service.openProject(caller, ctx.pathParam("domain"), ctx.pathParam("project"),
                ctx.queryParam("fields"), lastEventId(ctx)));
    }

    /** {@code Last-Event-ID} as browsers send it on reconnect, or {@code ?last_event_id=} for clients that cannot. */
    private static String lastEventId(Context ctx) {
        String header = ctx.header("Last-Event-ID");
        return header != null ? header : ctx.queryParam("last_event_id");
    }

    private void start(Context ctx, StreamService.Opening opening) {
        if (opening instanceof StreamService.Refused refused) {
            Answers.write(ctx, refused.answer());
            return;
        }
        if (opening instanceof StreamService.TooMany tooMany) {
            Answers.rateHeaders(ctx, tooMany.rate());
            String body = "{\"error\":\"Too many open streams\",\"scope\":\"" + tooMany.scope().label()
                    + "\",\"status\":429}";
            ctx.header("Retry-After", "5");
            ctx.status(429).contentType("application/json").result(body.getBytes(StandardCharsets.UTF_8));
            return;
        }
        StreamService.Accepted accepted = (StreamService.Accepted) opening;
        Answers.rateHeaders(ctx, accepted.rate());
        ctx.status(200);
        ctx.res().setContentType("text/event-stream;charset=utf-8");
        ctx.header("Cache-Control", "no-store");
        ctx.header("X-Accel-Buffering", "no"); // nginx: pass events through as they come
        OverloadGuard.releaseSlot(ctx.req()); // the stream is set up; what it costs now is bounded by its own limits
        ctx.future(() -> {
            try {
                AsyncContext async = ctx.req().getAsyncContext();
                async.setTimeout(0);
                return hub.open(accepted.user(), accepted.databaseId(), accepted.domain(), accepted.project(),
                        accepted.fieldsParam(), accepted.fields(), accepted.first(), async,
                        ctx.res().getOutputStream()).done();
            } catch (java.io.IOException | RuntimeException e) {
                hub.release(accepted.user());
                throw new IllegalStateException("cannot open stream", e);
            }
        });
    }
}

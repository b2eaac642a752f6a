package com.dbmetrics.api.http;

import com.dbmetrics.api.load.IoWaits;
import com.dbmetrics.api.load.LoadShedder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The first handler of the public server: every {@code /api/} and {@code /prometheus/} request needs a slot of the
 * {@link LoadShedder} before anything else runs (authentication, limits, routing, rendering); a request refused gets
 * 503 with {@code Retry-After: 1} and the usual JSON error body, written here at the cost of a few hundred bytes. How
 * long admitted requests hold their slot, less their waits for I/O ({@link IoWaits}), sizes the slots. Health and
 * readiness checks are not counted: a load balancer must see an overloaded instance as alive and ready (refusing fast
 * is what keeps it serving), and the management port is another server.
 */
final class OverloadGuard extends Handler.Wrapper {

    static final String MESSAGE = "Overloaded: too many requests in progress on this instance, retry shortly";
    private static final byte[] BODY = ("{\"error\":\"" + MESSAGE + "\",\"status\":503}")
            .getBytes(StandardCharsets.UTF_8);

    /** Request attribute holding the request's slot, for a request that gives it back early. */
    static final String SLOT_ATTRIBUTE = "dbm.load-slot";

    private final LoadShedder shedder;

    /**
     * Gives the request's slot back before the request ends: a live stream, once set up, stays open for hours and
     * would otherwise hold its slot all that time (its cost is bounded by the stream limits instead).
     */
    static void releaseSlot(jakarta.servlet.http.HttpServletRequest request) {
        if (request.getAttribute(SLOT_ATTRIBUTE) instanceof Slot slot) {
            slot.release();
        }
    }

    OverloadGuard(LoadShedder shedder) {
        this.shedder = shedder;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        if (!path.startsWith("/api/") && !path.startsWith("/prometheus/")) {
            return super.handle(request, response, callback);
        }
        if (shedder.acquire() != null) {
            response.setStatus(503);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            response.write(true, ByteBuffer.wrap(BODY), callback);
            return true;
        }
        Slot slot = new Slot(IoWaits.begin());
        request.setAttribute(SLOT_ATTRIBUTE, slot);
        boolean handled;
        try {
            handled = super.handle(request, response, Callback.from(slot::release, callback));
        } catch (Throwable t) {
            slot.release();
            throw t;
        } finally {
            IoWaits.end();
        }
        if (!handled) {
            slot.release();
        }
        return handled;
    }

    /** An admitted request's slot, given back once whichever way the request ends. */
    private final class Slot {
        private final AtomicBoolean released = new AtomicBoolean();
        private final long acquiredNanos = shedder.nanoTime();
        private final IoWaits.Counter ioWaits;

        Slot(IoWaits.Counter ioWaits) {
            this.ioWaits = ioWaits;
        }

        /** Gives the slot back, with the time it was held less the request's waits for I/O (see IoWaits). */
        void release() {
            if (released.compareAndSet(false, true)) {
                shedder.release(Math.max(0, shedder.nanoTime() - acquiredNanos - ioWaits.nanos()));
            }
        }
    }
}

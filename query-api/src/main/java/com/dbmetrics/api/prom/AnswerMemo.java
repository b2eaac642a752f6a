package com.dbmetrics.api.prom;

import com.dbmetrics.api.service.HeldBody;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * Answers of {@code query} and {@code query_range} rendered once per input. An answer is a function of the
 * expression, the asked times and the points it reads, and those points are the instances the reads hold (the
 * project listings' snapshots, the histories), which stay the same until a newer snapshot arrives. So every dashboard
 * that asks the same expression between two snapshots shares one evaluation and one rendering: a query frontend's
 * results cache without its freshness limit, since this one sees exactly when its inputs change.
 *
 * <p>An entry is used only when each database's points are the very instances it was made from (the first and the
 * last point, and how many: a history only ever grows by a newer point or is read anew). An instant answer also
 * depends on its time: its body is kept as a template around the samples' timestamps, valid from the time it was
 * evaluated at until the first series it holds turns stale (a series it left out as stale stays out later).
 */
final class AnswerMemo {

    /** Bytes of rendered answers held at most, all entries together (their gzip encodings, a fraction more, aside). */
    static final long MAX_BYTES = 32L << 20;
    /** In a body rendered at time 0, where each sample's timestamp is: {@code [0,"}; never inside a JSON string. */
    private static final byte[] AT_ZERO = "[0,\"".getBytes(StandardCharsets.US_ASCII);
    /** {@link #heldUntil}'s answer for inputs whose instant answer is not held. */
    private static final long NOT_HELD = Long.MIN_VALUE;

    private final Cache<String, Entry> entries = Caffeine.newBuilder().maximumWeight(MAX_BYTES)
            .weigher((String key, Entry e) -> key.length() + e.bytes() + 64 * e.inputs().length).build();
    private final LongAdder hits = new LongAdder();
    private final LongAdder renders = new LongAdder();

    /** One database's points as read: the first and the last instance, and how many. */
    record Input(MetricsSnapshot first, MetricsSnapshot last, int size) {

        static Input[] of(List<List<MetricsSnapshot>> points) {
            Input[] inputs = new Input[points.size()];
            for (int i = 0; i < inputs.length; i++) {
                List<MetricsSnapshot> p = points.get(i);
                inputs[i] = p.isEmpty() ? new Input(null, null, 0) : new Input(p.get(0), p.get(p.size() - 1), p.size());
            }
            return inputs;
        }

        boolean same(Input other) {
            return first == other.first && last == other.last && size == other.size;
        }
    }

    /** A range answer's whole body, or an instant answer's template ({@code parts}). */
    private record Entry(Input[] inputs, long fromMillis, long untilMillis, HeldBody whole, byte[][] parts,
            int bytes) {

        boolean answers(Input[] asked, long at) {
            if (at < fromMillis || at > untilMillis || asked.length != inputs.length) {
                return false;
            }
            for (int i = 0; i < asked.length; i++) {
                if (!asked[i].same(inputs[i])) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * A range answer: the held one when {@code points} are what it was rendered from, else {@code render}'s, held
     * (with its gzip encoding, once a reader asks for it).
     */
    HeldBody range(String key, List<List<MetricsSnapshot>> points, Supplier<byte[]> render) {
        Input[] inputs = Input.of(points);
        Entry held = entries.getIfPresent(key);
        if (held != null && held.answers(inputs, 0)) {
            hits.increment();
            return held.whole();
        }
        HeldBody body = new HeldBody(render.get());
        renders.increment();
        entries.put(key, new Entry(inputs, Long.MIN_VALUE, Long.MAX_VALUE, body, null, body.plain().length));
        return body;
    }

    /**
     * An instant answer at {@code at}: from the held template when {@code points} are what it was made from and
     * {@code at} within its validity, else {@code renderAt}'s (the answer evaluated at {@code at}, its samples' time
     * written as the argument). Held, as the rendering at time 0 cut into a template, only when every database
     * contributes its latest point alone, at or before {@code at}; otherwise rendered at {@code at} each time.
     */
    byte[] instant(String key, List<List<MetricsSnapshot>> points, long at, ToLongFunction<MetricsSnapshot> bound,
            LongFunction<byte[]> renderAt) {
        Input[] inputs = Input.of(points);
        Entry held = entries.getIfPresent(key);
        if (held != null && held.answers(inputs, at)) {
            hits.increment();
            return fill(held.parts(), at);
        }
        renders.increment();
        long until = heldUntil(inputs, at, bound);
        if (until == NOT_HELD) {
            return renderAt.apply(at);
        }
        byte[] atZero = renderAt.apply(0);
        byte[][] parts = split(atZero);
        entries.put(key, new Entry(inputs, at, until, null, parts, atZero.length));
        return fill(parts, at);
    }

    /**
     * Until when an instant answer at {@code at} over these inputs stays the same: the first time a series in it turns
     * stale; {@link #NOT_HELD} when some database contributes a history or a point newer than {@code at}.
     */
    private static long heldUntil(Input[] inputs, long at, ToLongFunction<MetricsSnapshot> bound) {
        long until = Long.MAX_VALUE;
        for (Input input : inputs) {
            if (input.size() != 1 || input.last().timestamp().toEpochMilli() > at) {
                return NOT_HELD;
            }
            long staleAt = input.last().timestamp().toEpochMilli() + bound.applyAsLong(input.last());
            if (at <= staleAt) {
                until = Math.min(until, staleAt);
            }
        }
        return until;
    }

    /** Answers served from a held rendering. */
    long hits() {
        return hits.sum();
    }

    /** Answers rendered. */
    long renders() {
        return renders.sum();
    }

    /** The body cut before each timestamp: part, timestamp, part, ... (timestamp {@code 0} taken out). */
    static byte[][] split(byte[] atZero) {
        List<byte[]> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i + AT_ZERO.length <= atZero.length; i++) {
            if (regionIsAtZero(atZero, i)) {
                parts.add(java.util.Arrays.copyOfRange(atZero, start, i + 1)); // up to and with '['
                start = i + 2; // past the '0'
                i += AT_ZERO.length - 1;
            }
        }
        parts.add(java.util.Arrays.copyOfRange(atZero, start, atZero.length));
        return parts.toArray(byte[][]::new);
    }

    private static boolean regionIsAtZero(byte[] body, int i) {
        for (int j = 0; j < AT_ZERO.length; j++) {
            if (body[i + j] != AT_ZERO[j]) {
                return false;
            }
        }
        return true;
    }

    static byte[] fill(byte[][] parts, long at) {
        if (parts.length == 1) {
            return parts[0];
        }
        byte[] seconds = PromJson.seconds(at).getBytes(StandardCharsets.US_ASCII);
        int size = seconds.length * (parts.length - 1);
        for (byte[] part : parts) {
            size += part.length;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                out.writeBytes(seconds);
            }
            out.writeBytes(parts[i]);
        }
        return out.toByteArray();
    }
}

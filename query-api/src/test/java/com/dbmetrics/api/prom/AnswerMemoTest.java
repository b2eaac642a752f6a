package com.dbmetrics.api.prom;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.DatabaseRef;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;

class AnswerMemoTest {

    private static final long T0 = Instant.parse("2026-12-04T10:00:00Z").toEpochMilli();
    /** Stale 15 s after its timestamp (2 × a 5 s interval + 5 s of grace, as the renderer's default). */
    private static final ToLongFunction<MetricsSnapshot> BOUND = s -> 15_000;
    private static final PromQl.Expr CONNECTIONS = PromQl.parse("dbmetrics_connections");

    private final AnswerMemo memo = new AnswerMemo();
    private final AtomicInteger rendered = new AtomicInteger();

    private static MetricsSnapshot snapshot(String id, String name, long millis, double connections) {
        return MetricsSnapshot.of(new DatabaseRef(id, name, "postgresql", "acme", "shop"), Instant.ofEpochMilli(millis),
                5, Map.of(Metric.CONNECTIONS, connections));
    }

    /** What PromApi renders without the memo: the vector evaluated and written at {@code at}. */
    private static byte[] direct(List<List<MetricsSnapshot>> points, long at, long writtenAt) {
        PromEval.Vector v = (PromEval.Vector) PromEval.instant(CONNECTIONS, points, at, BOUND);
        return PromJson.success().vector(writtenAt, v.samples()).end();
    }

    private byte[] instant(List<List<MetricsSnapshot>> points, long at) {
        return memo.instant("k", points, at, BOUND, writtenAt -> {
            rendered.incrementAndGet();
            return direct(points, at, writtenAt);
        });
    }

    private static String text(byte[] body) {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Test
    void shouldWriteEachSamplesTimeIntoTheTemplateEvenWhenALabelValueLooksLikeOne() {
        // a label value holding the template's marker is escaped inside its JSON string: it is not cut there
        List<List<MetricsSnapshot>> points = List.of(List.of(snapshot("db-1", "[0,\"x", T0, 3)),
                List.of(snapshot("db-2", "b", T0 + 500, 4.5)));
        for (long at : new long[] {T0 + 1_000, T0 + 1_234, T0 + 7_000}) {
            assertThat(text(instant(points, at))).isEqualTo(text(direct(points, at, at)));
        }
        assertThat(rendered).hasValue(1);
        assertThat(memo.hits()).isEqualTo(2);
        assertThat(AnswerMemo.split(direct(points, T0 + 1_000, 0))).hasNumberOfRows(3);
    }

    @Test
    void shouldRenderAgainWhenANewerSnapshotReplacesOneItWasMadeFrom() {
        MetricsSnapshot first = snapshot("db-1", "a", T0, 3);
        assertThat(text(instant(List.of(List.of(first)), T0 + 1_000))).contains("\"3\"");
        // an equal snapshot read anew is another instance: not assumed equal
        MetricsSnapshot newer = snapshot("db-1", "a", T0 + 5_000, 8);
        assertThat(text(instant(List.of(List.of(newer)), T0 + 6_000))).contains("\"8\"").doesNotContain("\"3\"");
        assertThat(rendered).hasValue(2);
        assertThat(memo.hits()).isZero();
    }

    @Test
    void shouldRenderAgainOnceASeriesItHoldsTurnsStaleAndWhenAskedForAnEarlierTime() {
        List<List<MetricsSnapshot>> points = List.of(List.of(snapshot("db-1", "a", T0, 3)),
                List.of(snapshot("db-2", "b", T0 + 4_000, 5)));
        instant(points, T0 + 5_000);
        instant(points, T0 + 15_000); // db-1 is stale after T0 + 15 s: still held
        assertThat(rendered).hasValue(1);
        byte[] later = instant(points, T0 + 15_001);
        assertThat(rendered).hasValue(2);
        assertThat(text(later)).isEqualTo(text(direct(points, T0 + 15_001, T0 + 15_001))).doesNotContain("db-1");
        // from T0 + 15_001 on, db-1 stays out; earlier, it was in: an earlier time is rendered anew
        byte[] earlier = instant(points, T0 + 10_000);
        assertThat(rendered).hasValue(3);
        assertThat(text(earlier)).contains("db-1");
    }

    @Test
    void shouldNotHoldAnAnswerMadeFromAHistory() {
        // a point newer than asked: the history is read, and the point in effect depends on the time asked
        List<List<MetricsSnapshot>> points = List.of(List.of(snapshot("db-1", "a", T0, 3),
                snapshot("db-1", "a", T0 + 5_000, 4)));
        assertThat(text(instant(points, T0 + 1_000))).contains("\"3\"");
        assertThat(text(instant(points, T0 + 1_000))).contains("\"3\"");
        assertThat(rendered).hasValue(2);
    }

    @Test
    void shouldHoldARangeAnswerUntilTheHistoryGrows() {
        List<MetricsSnapshot> history = new ArrayList<>(List.of(snapshot("db-1", "a", T0, 3),
                snapshot("db-1", "a", T0 + 5_000, 4)));
        Supplier<byte[]> render = () -> {
            rendered.incrementAndGet();
            return ("body" + rendered.get()).getBytes(StandardCharsets.UTF_8);
        };
        assertThat(text(memo.range("r", List.of(List.copyOf(history)), render).plain())).isEqualTo("body1");
        // the same points in another list (the per-tenant filter's copy): the same answer
        assertThat(text(memo.range("r", List.of(List.copyOf(history)), render).plain())).isEqualTo("body1");
        history.add(snapshot("db-1", "a", T0 + 10_000, 5));
        assertThat(text(memo.range("r", List.of(List.copyOf(history)), render).plain())).isEqualTo("body2");
        assertThat(text(memo.range("other", List.of(List.copyOf(history)), render).plain())).isEqualTo("body3");
        assertThat(memo.hits()).isEqualTo(1);
        assertThat(memo.renders()).isEqualTo(3);
    }
}

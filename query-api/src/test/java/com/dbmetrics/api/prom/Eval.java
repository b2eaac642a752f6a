package com.dbmetrics.api.prom;

import com.dbmetrics.schemas.MetricsSnapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.ToLongFunction;

/** The tests' shorthands over {@link PromEval}: snapshots already in effect, one point in time. */
final class Eval {

    private Eval() {}

    /** The value of an expression over snapshots already in effect (one per database), at the newest of them. */
    static PromEval.Value eval(PromQl.Expr expr, Collection<MetricsSnapshot> inEffect) {
        long at = inEffect.stream().mapToLong(s -> s.timestamp().toEpochMilli()).max().orElse(0);
        List<List<MetricsSnapshot>> histories = new ArrayList<>(inEffect.size());
        inEffect.forEach(s -> histories.add(List.of(s)));
        return PromEval.instant(expr, histories, at, s -> Long.MAX_VALUE);
    }

    /** The series a selector picks from snapshots in effect, sorted by labels. */
    static List<PromEval.Sample> select(PromQl.Selector selector, Collection<MetricsSnapshot> inEffect) {
        return ((PromEval.Vector) eval(selector, inEffect)).samples();
    }

    /** The point in effect at one instant. */
    static MetricsSnapshot inEffect(List<MetricsSnapshot> points, long millis, ToLongFunction<MetricsSnapshot> bound) {
        MetricsSnapshot[] at = new MetricsSnapshot[1];
        PromEval.inEffect(points, millis, 1, bound, at);
        return at[0];
    }
}

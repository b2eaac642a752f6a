package com.dbmetrics.api.prom;

import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/** Evaluates a parsed expression over the snapshots in effect at one instant (one per database). */
final class PromEval {

    private PromEval() {}

    /** What an expression evaluates to at one instant. */
    sealed interface Value permits Scalar, Vector {}

    record Scalar(double value) implements Value {}

    /** Samples sorted by their labels. */
    record Vector(List<Sample> samples) implements Value {}

    record Sample(Map<String, String> labels, double value) {}

    /** Orders label sets as Prometheus' sorted output does: label by label, then by value. */
    static final Comparator<Map<String, String>> LABELS_ORDER = (a, b) -> a.toString().compareTo(b.toString());

    static Value eval(PromQl.Expr expr, Collection<MetricsSnapshot> inEffect) {
        if (expr instanceof PromQl.Number n) {
            return new Scalar(n.value());
        }
        if (expr instanceof PromQl.Arithmetic a) {
            return new Scalar(arithmetic(a));
        }
        if (expr instanceof PromQl.Selector s) {
            return new Vector(select(s, inEffect));
        }
        PromQl.Aggregation g = (PromQl.Aggregation) expr;
        return new Vector(aggregate(g, select(g.selector(), inEffect)));
    }

    private static double arithmetic(PromQl.Arithmetic a) {
        double left = ((Scalar) eval(a.left(), List.of())).value();
        double right = ((Scalar) eval(a.right(), List.of())).value();
        return switch (a.op()) {
            case '+' -> left + right;
            case '-' -> left - right;
            case '*' -> left * right;
            case '/' -> left / right;
            default -> throw new IllegalStateException("operator " + a.op());
        };
    }

    static List<Sample> select(PromQl.Selector selector, Collection<MetricsSnapshot> inEffect) {
        List<Sample> samples = new ArrayList<>();
        for (MetricsSnapshot s : inEffect) {
            if (!PromSeries.databaseMatches(selector.matchers(), s)) {
                continue;
            }
            for (Metric metric : Metric.values()) {
                Double value = s.value(metric);
                if (value != null && PromSeries.matches(selector.matchers(), s, metric)) {
                    samples.add(new Sample(PromSeries.labels(s, metric), value));
                }
            }
        }
        samples.sort(Comparator.comparing(Sample::labels, LABELS_ORDER));
        return samples;
    }

    private static List<Sample> aggregate(PromQl.Aggregation g, List<Sample> samples) {
        Map<Map<String, String>, double[]> groups = new TreeMap<>(LABELS_ORDER); // sum, count, min, max
        for (Sample sample : samples) {
            Map<String, String> key = new TreeMap<>();
            if (g.without()) {
                sample.labels().forEach((k, v) -> {
                    if (!k.equals(PromSeries.NAME) && !g.grouping().contains(k)) {
                        key.put(k, v);
                    }
                });
            } else {
                for (String label : g.grouping()) {
                    String v = sample.labels().get(label);
                    if (v != null && !v.isEmpty()) {
                        key.put(label, v);
                    }
                }
            }
            double[] acc = groups.computeIfAbsent(key,
                    k -> new double[] {0, 0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY});
            acc[0] += sample.value();
            acc[1] += 1;
            acc[2] = Math.min(acc[2], sample.value());
            acc[3] = Math.max(acc[3], sample.value());
        }
        List<Sample> out = new ArrayList<>(groups.size());
        groups.forEach((labels, acc) -> out.add(new Sample(labels, switch (g.op()) {
            case "sum" -> acc[0];
            case "avg" -> acc[0] / acc[1];
            case "count" -> acc[1];
            case "min" -> acc[2];
            case "max" -> acc[3];
            default -> throw new IllegalStateException("aggregation " + g.op());
        })));
        return out;
    }

    /**
     * The snapshot in effect at {@code millis}: the newest of {@code points} (oldest first) at or before it, unless
     * older than its staleness bound, as Prometheus leaves a series out after its lookback; null when none.
     */
    static MetricsSnapshot inEffect(List<MetricsSnapshot> points, long millis, ToLongFunction<MetricsSnapshot> bound) {
        int lo = 0;
        int hi = points.size() - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (points.get(mid).timestamp().toEpochMilli() <= millis) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (found < 0) {
            return null;
        }
        MetricsSnapshot s = points.get(found);
        return millis - s.timestamp().toEpochMilli() <= bound.applyAsLong(s) ? s : null;
    }

    /** One series of a range result: its labels and its points in time order. */
    record RangeSeries(Map<String, String> labels, List<Point> points) {}

    record Point(long millis, double value) {}

    /**
     * Evaluates at every step from {@code startMillis} to {@code endMillis}; {@code histories} holds each database's
     * points, oldest first. Series are sorted by labels, each point once.
     */
    static List<RangeSeries> range(PromQl.Expr expr, Collection<List<MetricsSnapshot>> histories, long startMillis,
            long endMillis, long stepMillis, ToLongFunction<MetricsSnapshot> bound) {
        Map<Map<String, String>, RangeSeries> series = new LinkedHashMap<>();
        List<MetricsSnapshot> inEffect = new ArrayList<>(histories.size());
        for (long t = startMillis; t <= endMillis; t += stepMillis) {
            inEffect.clear();
            for (List<MetricsSnapshot> points : histories) {
                MetricsSnapshot s = inEffect(points, t, bound);
                if (s != null) {
                    inEffect.add(s);
                }
            }
            Value value = eval(expr, inEffect);
            List<Sample> samples = value instanceof Vector v ? v.samples()
                    : List.of(new Sample(Map.of(), ((Scalar) value).value()));
            for (Sample sample : samples) {
                RangeSeries rs = series.computeIfAbsent(sample.labels(),
                        l -> new RangeSeries(l, new ArrayList<>()));
                rs.points().add(new Point(t, sample.value()));
            }
        }
        List<RangeSeries> out = new ArrayList<>(series.values());
        out.sort(Comparator.comparing(RangeSeries::labels, LABELS_ORDER));
        return out;
    }
}

package com.dbmetrics.api.prom;

import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * Evaluates a parsed expression over databases' points at evenly spaced instants: a range query's steps, or an instant
 * query's one. Series by series, not step by step: a series' labels are built once, each database's point in effect
 * is found by one walk through its points, and an aggregation adds into one array per group.
 */
final class PromEval {

    /**
     * Samples one answer holds at most (~40 bytes each in memory): a range of 11,000 steps over every metric of
     * thousands of databases would otherwise fill the heap. Prometheus bounds this too (its {@code
     * --query.max-samples}, 50 million, on a server sized for it).
     */
    static final int MAX_SAMPLES = 500_000;
    static final String TOO_MANY_SAMPLES = "query processing would load too many samples into memory in query "
            + "execution (more than " + MAX_SAMPLES + "); narrow the selector or the range, or raise the step";

    private PromEval() {}

    /** What an expression evaluates to at one instant. */
    sealed interface Value permits Scalar, Vector {}

    record Scalar(double value) implements Value {}

    /** Samples sorted by their labels. */
    record Vector(List<Sample> samples) implements Value {}

    record Sample(Map<String, String> labels, double value) {}

    /** One series of a range result: its labels and its points in time order. */
    record RangeSeries(Map<String, String> labels, List<Point> points) {}

    record Point(long millis, double value) {}

    /** Orders label sets (sorted maps) as Prometheus' sorted output does: label by label, name then value. */
    static final Comparator<Map<String, String>> LABELS_ORDER = (a, b) -> {
        Iterator<Map.Entry<String, String>> i = a.entrySet().iterator();
        Iterator<Map.Entry<String, String>> j = b.entrySet().iterator();
        while (i.hasNext() && j.hasNext()) {
            Map.Entry<String, String> x = i.next();
            Map.Entry<String, String> y = j.next();
            int c = x.getKey().compareTo(y.getKey());
            if (c == 0) {
                c = x.getValue().compareTo(y.getValue());
            }
            if (c != 0) {
                return c;
            }
        }
        return Boolean.compare(i.hasNext(), j.hasNext());
    };

    /** The value of an expression at {@code millis} over each database's points (oldest first). */
    static Value instant(PromQl.Expr expr, Collection<List<MetricsSnapshot>> histories, long millis,
            ToLongFunction<MetricsSnapshot> bound) {
        if (isScalar(expr)) {
            return new Scalar(scalar(expr));
        }
        List<RangeSeries> series = range(expr, histories, millis, millis, 1, bound);
        List<Sample> samples = new ArrayList<>(series.size());
        for (RangeSeries s : series) {
            samples.add(new Sample(s.labels(), s.points().get(0).value()));
        }
        return new Vector(samples);
    }

    static boolean isScalar(PromQl.Expr expr) {
        return expr instanceof PromQl.Number || expr instanceof PromQl.Arithmetic;
    }

    private static double scalar(PromQl.Expr expr) {
        if (expr instanceof PromQl.Number n) {
            return n.value();
        }
        PromQl.Arithmetic a = (PromQl.Arithmetic) expr;
        double left = scalar(a.left());
        double right = scalar(a.right());
        return switch (a.op()) {
            case '+' -> left + right;
            case '-' -> left - right;
            case '*' -> left * right;
            case '/' -> left / right;
            default -> throw new IllegalStateException("operator " + a.op());
        };
    }

    /**
     * The expression at every step from {@code startMillis} to {@code endMillis}; {@code histories} holds each
     * database's points, oldest first. Series sorted by labels, each with at least one point.
     */
    static List<RangeSeries> range(PromQl.Expr expr, Collection<List<MetricsSnapshot>> histories, long startMillis,
            long endMillis, long stepMillis, ToLongFunction<MetricsSnapshot> bound) {
        int steps = (int) ((endMillis - startMillis) / stepMillis) + 1;
        List<RangeSeries> out = new ArrayList<>();
        if (isScalar(expr)) {
            double v = scalar(expr);
            List<Point> points = new ArrayList<>(steps);
            for (int k = 0; k < steps; k++) {
                points.add(new Point(startMillis + k * stepMillis, v));
            }
            out.add(new RangeSeries(Map.of(), points));
            return out;
        }
        PromQl.Aggregation aggregation = expr instanceof PromQl.Aggregation g ? g : null;
        PromQl.Selector selector = aggregation != null ? aggregation.selector() : (PromQl.Selector) expr;
        Map<Map<String, String>, Group> groups = new TreeMap<>(LABELS_ORDER);
        MetricsSnapshot[] at = new MetricsSnapshot[steps];
        long samples = 0;
        for (List<MetricsSnapshot> points : histories) {
            if (points.isEmpty()) {
                continue;
            }
            MetricsSnapshot newest = points.get(points.size() - 1);
            if (!PromSeries.databaseMatches(selector.matchers(), newest)) {
                continue;
            }
            inEffect(points, startMillis, stepMillis, bound, at);
            for (Metric metric : Metric.values()) {
                if (!PromSeries.matches(selector.matchers(), newest, metric)) {
                    continue;
                }
                if (aggregation == null) {
                    List<Point> series = new ArrayList<>();
                    for (int k = 0; k < steps; k++) {
                        Double v = at[k] == null ? null : at[k].value(metric);
                        if (v != null) {
                            series.add(new Point(startMillis + k * stepMillis, v));
                        }
                    }
                    samples += series.size();
                    if (samples > MAX_SAMPLES) {
                        throw new PromError.Execution(TOO_MANY_SAMPLES);
                    }
                    if (!series.isEmpty()) {
                        out.add(new RangeSeries(PromSeries.labels(newest, metric), series));
                    }
                } else {
                    Group group = groups.computeIfAbsent(groupKey(aggregation, PromSeries.labels(newest, metric)),
                            k -> new Group(steps));
                    if (groups.size() * (long) steps > MAX_SAMPLES) {
                        throw new PromError.Execution(TOO_MANY_SAMPLES);
                    }
                    for (int k = 0; k < steps; k++) {
                        Double v = at[k] == null ? null : at[k].value(metric);
                        if (v != null) {
                            group.add(k, v);
                        }
                    }
                }
            }
        }
        groups.forEach((labels, group) -> {
            List<Point> series = group.points(aggregation.op(), startMillis, stepMillis);
            if (!series.isEmpty()) {
                out.add(new RangeSeries(labels, series));
            }
        });
        out.sort(Comparator.comparing(RangeSeries::labels, LABELS_ORDER));
        return out;
    }

    private static Map<String, String> groupKey(PromQl.Aggregation g, Map<String, String> labels) {
        Map<String, String> key = new TreeMap<>();
        if (g.without()) {
            labels.forEach((k, v) -> {
                if (!k.equals(PromSeries.NAME) && !g.grouping().contains(k)) {
                    key.put(k, v);
                }
            });
        } else {
            for (String label : g.grouping()) {
                String v = labels.get(label);
                if (v != null && !v.isEmpty()) {
                    key.put(label, v);
                }
            }
        }
        return key;
    }

    /** An aggregation's running sums, counts, minima and maxima, one slot per step. */
    private static final class Group {
        private final double[] sum;
        private final int[] count;
        private final double[] min;
        private final double[] max;

        Group(int steps) {
            sum = new double[steps];
            count = new int[steps];
            min = new double[steps];
            max = new double[steps];
            java.util.Arrays.fill(min, Double.POSITIVE_INFINITY);
            java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
        }

        void add(int k, double v) {
            sum[k] += v;
            count[k]++;
            min[k] = Math.min(min[k], v);
            max[k] = Math.max(max[k], v);
        }

        List<Point> points(String op, long startMillis, long stepMillis) {
            List<Point> points = new ArrayList<>();
            for (int k = 0; k < count.length; k++) {
                if (count[k] == 0) {
                    continue;
                }
                double v = switch (op) {
                    case "sum" -> sum[k];
                    case "avg" -> sum[k] / count[k];
                    case "count" -> count[k];
                    case "min" -> min[k];
                    case "max" -> max[k];
                    default -> throw new IllegalStateException("aggregation " + op);
                };
                points.add(new Point(startMillis + k * stepMillis, v));
            }
            return points;
        }
    }

    /**
     * Fills {@code at[k]} with the point in effect at step k: the newest of {@code points} (oldest first) at or before
     * it, unless older than its staleness bound (as Prometheus leaves a series out after its lookback), else null.
     * One walk through the points, as the steps only move forward.
     */
    static void inEffect(List<MetricsSnapshot> points, long startMillis, long stepMillis,
            ToLongFunction<MetricsSnapshot> bound, MetricsSnapshot[] at) {
        int i = -1;
        for (int k = 0; k < at.length; k++) {
            long t = startMillis + k * stepMillis;
            while (i + 1 < points.size() && points.get(i + 1).timestamp().toEpochMilli() <= t) {
                i++;
            }
            MetricsSnapshot s = i < 0 ? null : points.get(i);
            at[k] = s != null && t - s.timestamp().toEpochMilli() <= bound.applyAsLong(s) ? s : null;
        }
    }
}

package com.dbmetrics.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * When each view of {@link OpenLoopRunner} is due: a sequence of phases, each a constant arrival rate for a number of
 * seconds, in order and without gaps. View {@code v} is due at the time by which the integral of the rate reaches
 * {@code v}: within phase {@code k} (which starts at time {@code T_k} with {@code C_k} views due before it) view
 * {@code v} is due at {@code T_k + (v - C_k) / rate_k}. So the arrival process runs on across a change of rate (the
 * first view of a new phase is due one new interval after the last view of the old one, not at a fresh start), and a
 * single phase is exactly the generator's constant rate ({@code v / rate}).
 *
 * <p>The first {@code warmupSeconds} (a phase of their own at the first phase's rate, not counted) precede the
 * measured phases; {@link #phaseAt} and {@link #measuredSeconds} speak of the measured ones only.
 */
final class RateSchedule {

    /**
     * One phase: its rate, its length and its place in the run; {@code dueBefore} is the exact (fractional) number of
     * views due before it, {@code firstView} the first whole view due in it.
     */
    record Phase(int index, double rate, int seconds, long startNanos, double dueBefore, long firstView, long views) {
        /** Offset (from the start of the run) of the end of this phase. */
        long endNanos() {
            return startNanos + seconds * 1_000_000_000L;
        }
    }

    private final long warmupNanos;
    private final List<Phase> all = new ArrayList<>(); // warm-up (when any) first, then the measured phases
    private final List<Phase> measured;
    private final long totalViews;

    /** {@code phases}: rate and seconds pairs, in order; {@code warmupSeconds} at the first phase's rate go first. */
    RateSchedule(int warmupSeconds, List<double[]> phases) {
        if (phases.isEmpty()) {
            throw new IllegalArgumentException("a schedule needs at least one phase");
        }
        if (warmupSeconds < 0) {
            throw new IllegalArgumentException("--warmup must be >= 0 but was " + warmupSeconds);
        }
        this.warmupNanos = warmupSeconds * 1_000_000_000L;
        long start = 0;
        double due = 0; // views due before this phase (the integral of the rate so far), exact
        List<double[]> withWarmup = new ArrayList<>();
        if (warmupSeconds > 0) {
            withWarmup.add(new double[] {phases.get(0)[0], warmupSeconds});
        }
        withWarmup.addAll(phases);
        for (int i = 0; i < withWarmup.size(); i++) {
            double rate = withWarmup.get(i)[0];
            double seconds = withWarmup.get(i)[1];
            if (!(rate > 0) || !(seconds >= 1) || seconds != Math.rint(seconds)) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "a phase needs a rate > 0 and whole seconds >= 1, got %s:%s", rate, seconds));
            }
            double before = due;
            long first = (long) Math.ceil(before - 1e-9);
            due += rate * seconds;
            long next = (long) Math.ceil(due - 1e-9);
            int index = warmupSeconds > 0 ? i - 1 : i;
            all.add(new Phase(index, rate, (int) seconds, start, before, first, next - first));
            start += (long) seconds * 1_000_000_000L;
        }
        measured = List.copyOf(warmupSeconds > 0 ? all.subList(1, all.size()) : all);
        Phase last = all.get(all.size() - 1);
        totalViews = last.firstView() + last.views();
    }

    /** One constant rate for {@code seconds} after {@code warmupSeconds}: the generator's classic run. */
    static RateSchedule constant(double rate, int warmupSeconds, int seconds) {
        return new RateSchedule(warmupSeconds, List.of(new double[] {rate, seconds}));
    }

    /** {@code rate:seconds,rate:seconds,...}, e.g. {@code 1666:20,6666:30,1666:30}. */
    static RateSchedule parse(String phases, int warmupSeconds) {
        List<double[]> out = new ArrayList<>();
        for (String item : phases.split(",")) {
            String[] parts = item.trim().split(":");
            if (parts.length != 2) {
                throw new IllegalArgumentException("--phases wants rate:seconds,... but got '" + item + "'");
            }
            out.add(new double[] {Double.parseDouble(parts[0]), Double.parseDouble(parts[1])});
        }
        return new RateSchedule(warmupSeconds, out);
    }

    /** Offset from the start of the run at which view {@code v} ({@code 0 <= v < totalViews()}) is due. */
    long dueNanos(long v) {
        Phase p = all.get(0);
        for (int i = all.size() - 1; i > 0; i--) { // a handful of phases: a scan beats a search
            if (v >= all.get(i).firstView()) {
                p = all.get(i);
                break;
            }
        }
        return p.startNanos() + (long) ((v - p.dueBefore()) * 1e9 / p.rate());
    }

    /** The measured phase containing {@code offsetNanos} (from the start of the run), or null outside them. */
    Phase phaseAt(long offsetNanos) {
        if (offsetNanos < warmupNanos) {
            return null;
        }
        for (Phase p : measured) {
            if (offsetNanos < p.endNanos()) {
                return p;
            }
        }
        return null;
    }

    long totalViews() {
        return totalViews;
    }

    long warmupNanos() {
        return warmupNanos;
    }

    /** Length of the measured phases together. */
    int measuredSeconds() {
        return measured.stream().mapToInt(Phase::seconds).sum();
    }

    /** Views due in the measured phases per second of them. */
    double meanRate() {
        return measured.stream().mapToLong(Phase::views).sum() / (double) measuredSeconds();
    }

    List<Phase> measured() {
        return measured;
    }

    /** {@code rate:seconds,...} of the measured phases. */
    String describe() {
        StringBuilder b = new StringBuilder();
        for (Phase p : measured) {
            b.append(b.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.0f:%d", p.rate(), p.seconds()));
        }
        return b.toString();
    }
}

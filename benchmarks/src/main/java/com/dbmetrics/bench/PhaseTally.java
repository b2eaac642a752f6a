package com.dbmetrics.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The measured views of a {@link RateSchedule} run, per phase and per second, split by outcome: <b>ok</b> (every
 * answer 2xx), <b>refused</b> (an answer 503: the server shedding load, the refusal it is meant to give; with
 * {@code Retry-After} or not, counted apart as {@code refused_no_retry_after}) and <b>error</b> (any other status,
 * 429 included, a timeout or a connection error). Latency runs, as everywhere in the generator, from the view's
 * intended (due) time to its last answer, for refused views too: a 503 that took 2 s to come back was no cheap
 * refusal. A view belongs to the phase and second in which it was <i>due</i> (not answered), so "second 35" says what
 * happened to the reads offered in second 35, however long they took; the per-second series therefore shows when the
 * server started keeping up again with newly offered reads. Sent counts requests handed to a connection in the phase
 * (by the time they were sent), so sent below offered in a phase means requests queued in the generator for want of a
 * free connection: the server did not keep up.
 *
 * <p>Used only by the generator's I/O thread. Printed as {@code phase ...} and {@code second ...} lines of
 * {@code key=value} pairs (milliseconds; a percentile of nothing is 0).
 */
final class PhaseTally {

    private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);

    enum Outcome { OK, REFUSED, ERROR }

    /** Counts and latencies of one phase or one second. */
    static final class Slot {
        final Histogram ok;
        final Histogram refused;
        long offered;
        long sent;
        long okCount;
        long refusedCount;
        long refusedWithoutRetryAfter;
        long errors;

        Slot(int significantDigits) {
            ok = new Histogram(MAX_MICROS, significantDigits);
            refused = new Histogram(MAX_MICROS, significantDigits);
        }

        void record(Outcome outcome, long latencyMicros, boolean retryAfter) {
            long v = Math.min(MAX_MICROS, Math.max(0, latencyMicros));
            switch (outcome) {
                case OK -> {
                    okCount++;
                    ok.recordValue(v);
                }
                case REFUSED -> {
                    refusedCount++;
                    refused.recordValue(v);
                    if (!retryAfter) {
                        refusedWithoutRetryAfter++;
                    }
                }
                case ERROR -> errors++;
            }
        }
    }

    private final RateSchedule schedule;
    private final List<Slot> phases = new ArrayList<>();
    private final Slot[] seconds;

    PhaseTally(RateSchedule schedule) {
        this.schedule = schedule;
        for (int i = 0; i < schedule.measured().size(); i++) {
            phases.add(new Slot(3));
        }
        seconds = new Slot[schedule.measuredSeconds()];
        for (int i = 0; i < seconds.length; i++) {
            seconds[i] = new Slot(2); // 1 % resolution is plenty for a per-second p99, and 100 seconds stay small
        }
    }

    /** A view due at {@code dueOffset} (from the start of the run) was created. */
    void offered(long dueOffset) {
        RateSchedule.Phase p = schedule.phaseAt(dueOffset);
        if (p != null) {
            phases.get(p.index()).offered++;
            seconds[second(dueOffset)].offered++;
        }
    }

    /** A request was handed to a connection at {@code offset} (from the start of the run). */
    void sent(long offset) {
        RateSchedule.Phase p = schedule.phaseAt(offset);
        if (p != null) {
            phases.get(p.index()).sent++;
            seconds[second(offset)].sent++;
        }
    }

    /** A view due at {@code dueOffset} finished with {@code outcome} after {@code latencyNanos} from its due time. */
    void finished(long dueOffset, long latencyNanos, Outcome outcome, boolean retryAfter) {
        RateSchedule.Phase p = schedule.phaseAt(dueOffset);
        if (p != null) {
            phases.get(p.index()).record(outcome, latencyNanos / 1000, retryAfter);
            seconds[second(dueOffset)].record(outcome, latencyNanos / 1000, retryAfter);
        }
    }

    private int second(long offset) {
        return (int) Math.min(seconds.length - 1, (offset - schedule.warmupNanos()) / 1_000_000_000L);
    }

    /** The {@code phase ...} lines, then the {@code second ...} lines. */
    List<String> lines() {
        List<String> out = new ArrayList<>();
        for (RateSchedule.Phase p : schedule.measured()) {
            Slot s = phases.get(p.index());
            out.add(String.format(Locale.ROOT, "phase index=%d rate=%.0f seconds=%d start_s=%d offered=%d "
                            + "offered_rate=%.1f sent_rate=%.1f ok=%d ok_rate=%.1f refused=%d refused_rate=%.1f "
                            + "refused_share=%.4f refused_no_retry_after=%d errors=%d p50_ok_ms=%.3f p99_ok_ms=%.3f "
                            + "p999_ok_ms=%.3f max_ok_ms=%.3f p50_refused_ms=%.3f p99_refused_ms=%.3f "
                            + "max_refused_ms=%.3f",
                    p.index(), p.rate(), p.seconds(), (p.startNanos() - schedule.warmupNanos()) / 1_000_000_000L,
                    s.offered, s.offered / (double) p.seconds(), s.sent / (double) p.seconds(), s.okCount,
                    s.okCount / (double) p.seconds(), s.refusedCount, s.refusedCount / (double) p.seconds(),
                    s.refusedCount / (double) Math.max(1, s.offered), s.refusedWithoutRetryAfter, s.errors,
                    ms(s.ok, 50), ms(s.ok, 99), ms(s.ok, 99.9), max(s.ok), ms(s.refused, 50), ms(s.refused, 99),
                    max(s.refused)));
        }
        for (int t = 0; t < seconds.length; t++) {
            Slot s = seconds[t];
            RateSchedule.Phase p = schedule.phaseAt(schedule.warmupNanos() + t * 1_000_000_000L);
            out.add(String.format(Locale.ROOT, "second t=%d phase=%d offered=%d sent=%d ok=%d refused=%d errors=%d "
                            + "p99_ok_ms=%.3f max_ok_ms=%.3f p99_refused_ms=%.3f max_refused_ms=%.3f",
                    t, p == null ? -1 : p.index(), s.offered, s.sent, s.okCount, s.refusedCount, s.errors,
                    ms(s.ok, 99), max(s.ok), ms(s.refused, 99), max(s.refused)));
        }
        return out;
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }

    private static double max(Histogram h) {
        return h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1000.0;
    }
}

package com.dbmetrics.api.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Slots, the bounded queue and the controlled delay, on fake time for the policy (how long a request may wait).
 * The waits themselves are a {@link java.util.concurrent.Semaphore}'s: the tests that need one keep it to a few
 * milliseconds.
 */
class LoadShedderTest {

    private static final Duration QUEUE_WAIT = Duration.ofSeconds(10); // long: a loaded machine never times it out
    private static final Duration OVERLOAD_WAIT = Duration.ofMillis(5);
    private static final Duration HOLD_TARGET = Duration.ofMillis(1);
    /** Twice the target: a mean above it even with one quick request in the interval. */
    private static final Duration SLOW = HOLD_TARGET.multipliedBy(2);

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    private LoadShedder shedder(int concurrent, int queued) {
        return new LoadShedder(concurrent, concurrent, queued, QUEUE_WAIT, OVERLOAD_WAIT, HOLD_TARGET, nanos::get);
    }

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Test
    void shouldAdmitUpToTheConcurrencyAndGiveSlotsBack() throws Exception {
        LoadShedder shedder = shedder(2, 0);

        assertThat(shedder.acquire()).isNull();
        assertThat(shedder.acquire()).isNull();
        assertThat(shedder.inFlight()).isEqualTo(2);
        assertThat(shedder.acquire()).as("no slot, no place in the queue").isEqualTo(LoadShedder.Refusal.QUEUE_FULL);

        shedder.release(0);

        assertThat(shedder.acquire()).isNull();
        assertThat(shedder.refused(LoadShedder.Refusal.QUEUE_FULL)).isEqualTo(1);
        assertThat(shedder.refusedTotal()).isEqualTo(1);
    }

    @Test
    void shouldLetABurstWaitTheLongWayAndAStandingQueueOnlyTheShortOne() throws Exception {
        LoadShedder shedder = shedder(1, 10);
        assertThat(shedder.acquire()).isNull(); // the only slot is busy from now on
        assertThat(shedder.allowedWaitNanos()).as("queue empty just now: a burst may wait")
                .isEqualTo(QUEUE_WAIT.toNanos());

        CompletableFuture<LoadShedder.Refusal> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return shedder.acquire();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        while (shedder.queued() == 0) {
            Thread.onSpinWait();
        }
        assertThat(shedder.overloaded()).isFalse();
        advance(QUEUE_WAIT.plusMillis(1)); // the queue has not been empty for longer than the long wait

        assertThat(shedder.overloaded()).isTrue();
        assertThat(shedder.allowedWaitNanos()).isEqualTo(OVERLOAD_WAIT.toNanos());

        shedder.release(0); // the waiting request gets the slot
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isNull();
        assertThat(shedder.queued()).isZero();
        assertThat(shedder.overloaded()).as("the queue emptied: back to normal by itself").isFalse();
        assertThat(shedder.allowedWaitNanos()).isEqualTo(QUEUE_WAIT.toNanos());
    }

    @Test
    void shouldRefuseARequestThatWaitedTheLongestAllowed() throws Exception {
        LoadShedder shedder = new LoadShedder(1, 1, 10, Duration.ofMillis(20), Duration.ofMillis(5),
                Duration.ofMillis(1), System::nanoTime);
        // nothing between the two: on a loaded machine loading the assertion classes took longer than the 20 ms burst
        // wait, after which the queue counts as standing and the short wait applies
        LoadShedder.Refusal first = shedder.acquire();
        long start = System.nanoTime();
        LoadShedder.Refusal refusal = shedder.acquire();
        long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(first).isNull();
        assertThat(refusal).isEqualTo(LoadShedder.Refusal.WAITED_TOO_LONG);
        assertThat(waitedMillis).as("the burst wait, not more").isBetween(15L, 2_000L);
        assertThat(shedder.queued()).isZero();
        assertThat(shedder.inFlight()).isEqualTo(1);
    }

    @Test
    void shouldRefuseBadBounds() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new LoadShedder(0, 1, 1, QUEUE_WAIT,
                OVERLOAD_WAIT, HOLD_TARGET, nanos::get)).isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new LoadShedder(1, 1, 1, OVERLOAD_WAIT,
                QUEUE_WAIT, HOLD_TARGET, nanos::get)).isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new LoadShedder(3, 2, 1, QUEUE_WAIT,
                OVERLOAD_WAIT, HOLD_TARGET, nanos::get)).isInstanceOf(IllegalArgumentException.class);
    }

    /** {@code n} requests, one after the other, each holding its slot as long as given. */
    private void serve(LoadShedder shedder, int n, Duration held) throws InterruptedException {
        for (int i = 0; i < n; i++) {
            assertThat(shedder.acquire()).isNull();
            shedder.release(held.toNanos());
        }
    }

    /** Ends the interval; the next arrival closes it and sizes the slots. */
    private void closeInterval(LoadShedder shedder) throws InterruptedException {
        advance(QUEUE_WAIT);
        assertThat(shedder.acquire()).isNull();
        shedder.release(0);
    }

    /**
     * An interval in which every slot was taken and one more request found none (the shedder has no queue), all of
     * them holding their slot {@code held}; ends it (the next arrival closes it).
     */
    private void saturated(LoadShedder shedder, Duration held) throws InterruptedException {
        int slots = shedder.concurrencyLimit();
        for (int i = 0; i < slots; i++) {
            assertThat(shedder.acquire()).isNull();
        }
        assertThat(shedder.acquire()).isEqualTo(LoadShedder.Refusal.QUEUE_FULL);
        for (int i = 0; i < slots; i++) {
            shedder.release(held.toNanos());
        }
        serve(shedder, LoadShedder.MIN_JUDGED, held);
    }

    @Test
    void shouldHalveTheSlotsWhileEveryOneWasTakenAndRequestsHeldThemLongerThanTheTargetOnAverage() throws Exception {
        LoadShedder shedder = new LoadShedder(2, 16, 0, QUEUE_WAIT, OVERLOAD_WAIT, HOLD_TARGET, nanos::get);

        for (int expected : new int[] {8, 4, 2, 2}) {
            saturated(shedder, SLOW);
            closeInterval(shedder);
            assertThat(shedder.concurrencyLimit()).as("halved, not below the least").isEqualTo(expected);
        }
    }

    @Test
    void shouldCutTheSlotsAtOnceToWhatHoldsTheMeanAtTheTarget() throws Exception {
        LoadShedder shedder = new LoadShedder(1, 32, 0, QUEUE_WAIT, OVERLOAD_WAIT, HOLD_TARGET, nanos::get);

        saturated(shedder, HOLD_TARGET.multipliedBy(8));
        closeInterval(shedder);

        assertThat(shedder.concurrencyLimit()).as("32 slots held 8 ms each on average: 4 hold them 1 ms")
                .isEqualTo(4);
    }

    @Test
    void shouldKeepTheSlotsWhileSomeAreFreeOrTheMeanIsWithinTheTargetOrTooFewRequestsCame() throws Exception {
        LoadShedder shedder = new LoadShedder(2, 16, 0, QUEUE_WAIT, OVERLOAD_WAIT, HOLD_TARGET, nanos::get);

        serve(shedder, 20, SLOW);
        closeInterval(shedder);
        assertThat(shedder.concurrencyLimit()).as("slow, but never short of slots: a busy machine").isEqualTo(16);

        serve(shedder, 1, Duration.ofMillis(20)); // a pause, or a wait for I/O not counted as such
        saturated(shedder, Duration.ZERO);
        closeInterval(shedder);
        assertThat(shedder.concurrencyLimit()).as("short of slots, but the mean, 20 ms over 26 requests, is within "
                + "the target").isEqualTo(16);

        LoadShedder few = new LoadShedder(1, 2, 0, QUEUE_WAIT, OVERLOAD_WAIT, HOLD_TARGET, nanos::get);
        assertThat(few.acquire()).isNull();
        assertThat(few.acquire()).isNull();
        assertThat(few.acquire()).isEqualTo(LoadShedder.Refusal.QUEUE_FULL);
        few.release(SLOW.toNanos());
        few.release(SLOW.toNanos());
        closeInterval(few);
        assertThat(few.concurrencyLimit()).as("2 requests are too few to say").isEqualTo(2);
    }

    @Test
    void shouldShrinkTheQueueInProportionToTheSlots() throws Exception {
        Duration wait = Duration.ofMillis(1); // real waits of the queued requests: short
        LoadShedder shedder = new LoadShedder(2, 16, 64, wait, wait, HOLD_TARGET, nanos::get);
        assertThat(shedder.queueBound()).isEqualTo(64);
        for (int i = 0; i < 16; i++) {
            assertThat(shedder.acquire()).isNull();
        }
        assertThat(shedder.acquire()).as("no slot within its wait").isEqualTo(LoadShedder.Refusal.WAITED_TOO_LONG);
        for (int i = 0; i < 16; i++) {
            shedder.release(SLOW.toNanos());
        }
        nanos.addAndGet(wait.toNanos());

        assertThat(shedder.acquire()).isNull(); // closes the interval
        assertThat(shedder.concurrencyLimit()).isEqualTo(8);
        assertThat(shedder.queueBound()).isEqualTo(32);
    }

    @Test
    void shouldAddASlotPerIntervalInWhichRequestsWereQuickAndSomeFoundNoSlot() throws Exception {
        LoadShedder shedder = new LoadShedder(1, 4, 0, QUEUE_WAIT, OVERLOAD_WAIT, HOLD_TARGET, nanos::get);
        saturated(shedder, SLOW);
        closeInterval(shedder);
        saturated(shedder, SLOW);
        closeInterval(shedder);
        assertThat(shedder.concurrencyLimit()).isEqualTo(1);

        serve(shedder, LoadShedder.MIN_JUDGED, Duration.ZERO);
        closeInterval(shedder);
        assertThat(shedder.concurrencyLimit()).as("quick, but none waited: no reason for more").isEqualTo(1);

        assertThat(shedder.acquire()).isNull();
        assertThat(shedder.acquire()).isEqualTo(LoadShedder.Refusal.QUEUE_FULL);
        shedder.release(0);
        closeInterval(shedder);
        assertThat(shedder.concurrencyLimit()).isEqualTo(2);
        assertThat(shedder.acquire()).isNull();
        assertThat(shedder.acquire()).as("the added slot").isNull();
        assertThat(shedder.inFlight()).isEqualTo(2);
    }

    @Test
    void shouldLetTheHoldersOfTakenAwaySlotsGiveThemBack() throws Exception {
        LoadShedder shedder = new LoadShedder(1, 4, 0, QUEUE_WAIT, OVERLOAD_WAIT, HOLD_TARGET, nanos::get);
        serve(shedder, LoadShedder.MIN_JUDGED, SLOW);
        for (int i = 0; i < 4; i++) {
            assertThat(shedder.acquire()).isNull();
        }
        assertThat(shedder.acquire()).isEqualTo(LoadShedder.Refusal.QUEUE_FULL);
        advance(QUEUE_WAIT);

        assertThat(shedder.acquire()).as("closes the interval: 4 → 2 slots, 4 held")
                .isEqualTo(LoadShedder.Refusal.QUEUE_FULL);
        assertThat(shedder.concurrencyLimit()).isEqualTo(2);
        assertThat(shedder.inFlight()).isEqualTo(4);
        shedder.release(0);
        shedder.release(0);
        assertThat(shedder.acquire()).as("still 2 running").isEqualTo(LoadShedder.Refusal.QUEUE_FULL);
        shedder.release(0);

        assertThat(shedder.acquire()).isNull();
        assertThat(shedder.inFlight()).isEqualTo(2);
    }
}

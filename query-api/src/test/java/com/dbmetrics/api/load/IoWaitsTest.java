package com.dbmetrics.api.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IoWaitsTest {

    private static final Duration WAIT = Duration.ofMillis(30);

    @AfterEach
    void end() {
        IoWaits.end();
    }

    private static String sleep() {
        try {
            Thread.sleep(WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "answer";
    }

    @Test
    void shouldCountTheWaitsOfTheRequestThisThreadRuns() {
        IoWaits.Counter counter = IoWaits.begin();

        assertThat(IoWaits.during(IoWaitsTest::sleep)).isEqualTo("answer");
        long waiting = IoWaits.start();
        sleep();
        IoWaits.stop(waiting);

        assertThat(counter.nanos()).isBetween(2 * WAIT.toNanos(), TimeUnit.SECONDS.toNanos(10));
    }

    @Test
    void shouldCountNothingOnAThreadThatRunsNoRequestOrAfterTheEnd() throws Exception {
        IoWaits.Counter counter = IoWaits.begin();

        long elsewhere = CompletableFuture.supplyAsync(() -> {
            IoWaits.during(IoWaitsTest::sleep);
            return IoWaits.start();
        }).get(10, TimeUnit.SECONDS);
        IoWaits.end();
        IoWaits.during(IoWaitsTest::sleep);

        assertThat(elsewhere).as("no counter on that thread").isZero();
        assertThat(counter.nanos()).isZero();
    }
}

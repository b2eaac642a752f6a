package com.dbmetrics.api.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.schemas.time.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class VerifiedTokensTest {

    private static final Instant NOW = Instant.parse("2026-12-05T04:00:00Z");
    private static final long MAX_AGE = Duration.ofMinutes(5).toNanos();
    private static final long IN_AN_HOUR = NOW.plus(Duration.ofHours(1)).toEpochMilli();

    private final MutableClock clock = new MutableClock(NOW);
    /** Two sets of two slots: digests whose {@code b} is 0 or 1 share set 0, 2 and 3 share set 2. */
    private final VerifiedTokens tokens = new VerifiedTokens(4, clock, clock::nanos, MAX_AGE);

    private static JwtAuthenticator.TokenDigest digest(long a, long b) {
        return new JwtAuthenticator.TokenDigest(a, b, 7, 9);
    }

    private static Principal user(String id) {
        return new Principal(id, List.of("acme/shop"), Set.of());
    }

    @Test
    void shouldAnswerAVerifiedTokenOnlyForItsWholeDigest() {
        tokens.put(digest(1, 0), user("alice"), IN_AN_HOUR);

        assertThat(tokens.get(digest(1, 0))).isEqualTo(user("alice"));
        assertThat(tokens.get(digest(2, 0))).as("same set, another digest").isNull();
        assertThat(tokens.get(new JwtAuthenticator.TokenDigest(1, 0, 7, 8))).as("the last bits differ").isNull();
        assertThat(tokens.get(digest(1, 2))).as("another set").isNull();
        assertThat(tokens.size()).isEqualTo(1);
        assertThat(tokens.digests()).containsExactly(digest(1, 0));
    }

    @Test
    void shouldNeverAnswerPastTheTokensExpiryNorPastTheMaximumAge() {
        tokens.put(digest(1, 0), user("short"), NOW.plusSeconds(30).toEpochMilli());
        tokens.put(digest(1, 2), user("long"), IN_AN_HOUR);

        clock.advance(Duration.ofSeconds(30));
        assertThat(tokens.get(digest(1, 0))).as("the token expired").isNull();
        assertThat(tokens.get(digest(1, 2))).isEqualTo(user("long"));

        clock.advance(Duration.ofMinutes(4).plusSeconds(30));
        assertThat(tokens.get(digest(1, 2))).as("cached 5 minutes ago: verified again").isNull();
        assertThat(tokens.size()).isZero();
    }

    @Test
    void shouldReplaceTheOlderEntryOfAFullSetAndKeepTheOtherSetsEntries() {
        tokens.put(digest(1, 0), user("first"), IN_AN_HOUR);
        clock.advance(Duration.ofSeconds(1));
        tokens.put(digest(2, 1), user("second"), IN_AN_HOUR);
        tokens.put(digest(3, 2), user("elsewhere"), IN_AN_HOUR);
        clock.advance(Duration.ofSeconds(1));

        tokens.put(digest(4, 0), user("third"), IN_AN_HOUR);

        assertThat(tokens.get(digest(1, 0))).as("the older of the full set").isNull();
        assertThat(tokens.get(digest(2, 1))).isEqualTo(user("second"));
        assertThat(tokens.get(digest(4, 0))).isEqualTo(user("third"));
        assertThat(tokens.get(digest(3, 2))).isEqualTo(user("elsewhere"));
        assertThat(tokens.size()).isEqualTo(3);
    }

    @Test
    void shouldReuseAnUnusableSlotBeforeEvictingAUsableOne() {
        tokens.put(digest(1, 0), user("expiring"), NOW.plusSeconds(10).toEpochMilli());
        clock.advance(Duration.ofSeconds(1));
        tokens.put(digest(2, 0), user("younger"), IN_AN_HOUR);
        clock.advance(Duration.ofSeconds(10));

        tokens.put(digest(3, 0), user("new"), IN_AN_HOUR);

        assertThat(tokens.get(digest(2, 0))).as("usable, though the expired one is older").isEqualTo(user("younger"));
        assertThat(tokens.get(digest(3, 0))).isEqualTo(user("new"));
    }

    @Test
    void shouldOverwriteTheSameTokenInPlace() {
        tokens.put(digest(1, 0), user("alice"), IN_AN_HOUR);
        tokens.put(digest(2, 0), user("bob"), IN_AN_HOUR);
        clock.advance(Duration.ofMinutes(4));
        tokens.put(digest(1, 0), user("alice"), IN_AN_HOUR); // verified again by a racing request

        assertThat(tokens.size()).isEqualTo(2);
        clock.advance(Duration.ofMinutes(2));
        assertThat(tokens.get(digest(1, 0))).as("its new entry is younger").isEqualTo(user("alice"));
        assertThat(tokens.get(digest(2, 0))).isNull();
    }

    @Test
    void shouldReplaceItsOwnEntryInTheSecondSlotRatherThanTakeAnUnusableFirstOne() {
        tokens.put(digest(1, 0), user("expiring"), NOW.plusSeconds(10).toEpochMilli());
        tokens.put(digest(2, 0), user("alice"), IN_AN_HOUR); // the second slot: the first is usable
        clock.advance(Duration.ofSeconds(11));

        tokens.put(digest(2, 0), user("alice"), IN_AN_HOUR); // verified again by a racing request
        assertThat(tokens.size()).as("alice once, not in both slots").isEqualTo(1);
        tokens.put(digest(3, 0), user("bob"), IN_AN_HOUR);

        assertThat(tokens.size()).as("bob in the slot that expired").isEqualTo(2);
        assertThat(tokens.get(digest(2, 0))).isEqualTo(user("alice"));
        assertThat(tokens.get(digest(3, 0))).isEqualTo(user("bob"));
    }

    @Test
    void shouldForgetThePrincipalsAskedFor() {
        tokens.put(digest(1, 0), user("dbm-warmup:1"), IN_AN_HOUR);
        tokens.put(digest(2, 2), user("alice"), IN_AN_HOUR);

        tokens.removeIf(p -> p.userId().startsWith("dbm-warmup:"));

        assertThat(tokens.get(digest(1, 0))).isNull();
        assertThat(tokens.get(digest(2, 2))).isEqualTo(user("alice"));
    }

    @Test
    void shouldNeverAnswerAnotherTokensPrincipalWhileThreadsReplaceTheSameSet() throws Exception {
        // four tokens in one set of two slots, inserted and read by four threads at once: each read is its own
        // principal or a miss, never another token's (the whole digest is compared, entries are immutable)
        int threads = 4;
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
        java.util.concurrent.atomic.AtomicLong wrong = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong hits = new java.util.concurrent.atomic.AtomicLong();
        List<Thread> running = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            JwtAuthenticator.TokenDigest mine = digest(t, 0);
            Principal me = user("user-" + t);
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                for (int i = 0; i < 200_000; i++) {
                    tokens.put(mine, me, IN_AN_HOUR);
                    Principal seen = tokens.get(mine);
                    if (seen != null && !seen.equals(me)) {
                        wrong.incrementAndGet();
                    } else if (seen != null) {
                        hits.incrementAndGet();
                    }
                }
            });
            thread.start();
            running.add(thread);
        }
        for (Thread thread : running) {
            thread.join();
        }

        assertThat(wrong.get()).isZero();
        assertThat(hits.get()).as("a token read right after its insert is mostly still there").isPositive();
        assertThat(tokens.size()).isLessThanOrEqualTo(2);
    }

    @Test
    void shouldRefuseATableThatIsNotAPowerOfTwo() {
        assertThatThrownBy(() -> new VerifiedTokens(6, clock, clock::nanos, MAX_AGE))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

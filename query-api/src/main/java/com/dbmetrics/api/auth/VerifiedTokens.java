package com.dbmetrics.api.auth;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The tokens verified recently, by their SHA-256 digest: a fixed table of {@link #SLOTS} slots in sets of two, each
 * slot an immutable entry (the digest, the principal, the token's expiry, when it was cached). A token is looked up in
 * its set only; a token verified again replaces its own entry, a new one takes the set's slot that is empty,
 * unusable or older. A hit writes nothing, an insert stores one reference; the table never grows, so memory is
 * bounded whatever the number of users.
 *
 * <p>Why not a Caffeine cache: with 100,000 users each reading twice a minute, nearly every request inserts a token.
 * Caffeine's insert links the entry into its hash table, its eviction and expiry orders and its buffers, and its hits
 * record themselves in a buffer; each of those stores of a new object into a long-lived one is a card the young
 * collection scans. An A/B of the users benchmark (100,000 users) with the token cache left out halved the cards per
 * young pause (14,194 to 7,175) and cut the time in pauses by 41 % (BENCHMARKS.md, section 9). Losing an entry to
 * a collision costs one more verification (a few µs for HS256), never a wrong answer: a slot is used only when its
 * whole 256-bit digest matches.
 *
 * <p>Thread-safe without locks: readers may race with a writer replacing a slot and then see either entry, each
 * complete (final fields).
 */
final class VerifiedTokens {

    /** Slots in the table (two per set): 131,072, room for the 100,000 tokens the cache held before. */
    static final int SLOTS = 1 << 17;

    private record Entry(long a, long b, long c, long d, Principal principal, long expiresAtMillis,
            long cachedAtNanos) {

        boolean is(JwtAuthenticator.TokenDigest digest) {
            return a == digest.a() && b == digest.b() && c == digest.c() && d == digest.d();
        }
    }

    private final Entry[] slots;
    private final Clock clock;
    private final Ticker ticker;
    private final long maxAgeNanos;

    VerifiedTokens(int slots, Clock clock, Ticker ticker, long maxAgeNanos) {
        if (slots < 2 || Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two >= 2 but was " + slots);
        }
        this.slots = new Entry[slots];
        this.clock = clock;
        this.ticker = ticker;
        this.maxAgeNanos = maxAgeNanos;
    }

    /** The principal of a token verified earlier, while its entry may be used; null otherwise. */
    Principal get(JwtAuthenticator.TokenDigest digest) {
        int set = set(digest);
        for (int i = set; i < set + 2; i++) {
            Entry e = slots[i];
            if (e != null && e.is(digest)) {
                return usable(e, clock.millis(), ticker.read()) ? e.principal() : null;
            }
        }
        return null;
    }

    /** Keeps a verified token's principal until {@code expiresAtMillis}, at most the cache's maximum age. */
    void put(JwtAuthenticator.TokenDigest digest, Principal principal, long expiresAtMillis) {
        long now = clock.millis();
        long nanos = ticker.read();
        int set = set(digest);
        Entry first = slots[set];
        Entry second = slots[set + 1];
        int at;
        if (first != null && first.is(digest)) {
            at = set; // verified again: its own entry is replaced, never kept beside a new one
        } else if (second != null && second.is(digest)) {
            at = set + 1;
        } else if (first == null || !usable(first, now, nanos)) {
            at = set;
        } else if (second == null || !usable(second, now, nanos)) {
            at = set + 1;
        } else {
            at = first.cachedAtNanos() - second.cachedAtNanos() <= 0 ? set : set + 1; // the older one goes
        }
        slots[at] = new Entry(digest.a(), digest.b(), digest.c(), digest.d(), principal, expiresAtMillis, nanos);
    }

    /** Forgets the tokens whose principal matches {@code which}. */
    void removeIf(Predicate<Principal> which) {
        for (int i = 0; i < slots.length; i++) {
            Entry e = slots[i];
            if (e != null && which.test(e.principal())) {
                slots[i] = null;
            }
        }
    }

    /** How many entries may be used now (a scan of the table: for tests and rare reads, not per request). */
    long size() {
        long now = clock.millis();
        long nanos = ticker.read();
        long n = 0;
        for (Entry e : slots) {
            if (e != null && usable(e, now, nanos)) {
                n++;
            }
        }
        return n;
    }

    /** The digests of the entries that may be used now. */
    Set<JwtAuthenticator.TokenDigest> digests() {
        long now = clock.millis();
        long nanos = ticker.read();
        Set<JwtAuthenticator.TokenDigest> out = new HashSet<>();
        for (Entry e : slots) {
            if (e != null && usable(e, now, nanos)) {
                out.add(new JwtAuthenticator.TokenDigest(e.a(), e.b(), e.c(), e.d()));
            }
        }
        return out;
    }

    private boolean usable(Entry e, long nowMillis, long nowNanos) {
        return e.expiresAtMillis() > nowMillis && nowNanos - e.cachedAtNanos() < maxAgeNanos;
    }

    /** The first slot of the digest's set: the digest's bits are uniform already. */
    private int set(JwtAuthenticator.TokenDigest digest) {
        return (int) digest.b() & (slots.length - 2);
    }
}

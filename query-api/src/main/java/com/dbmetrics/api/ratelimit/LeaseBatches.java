package com.dbmetrics.api.ratelimit;

import com.dbmetrics.api.load.IoWaits;
import com.dbmetrics.api.source.GuardedRedis;
import com.dbmetrics.schemas.redis.LuaScript;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Sends the lease requests of many requests (of many users) to Redis together: one round trip carries every lease
 * asked for while earlier round trips were under way. A caller that finds fewer than
 * {@link #MAX_LEADERS} round trips under way becomes a leader and sends what is queued, its own call included, in one
 * pipeline; callers arriving while every leader is busy queue and sleep until their answer arrives (the leader that
 * took their call wakes them) or a leader steps down (it wakes the first caller still queued, who leads next). An
 * uncontended call is sent at once by its own thread, as a plain call; under load the number of round trips grows with
 * the number of batches, not with the number of users. A few leaders at once, not one: with one, every lease waited
 * for the round trip under way and then its own, behind one connection (docs/architecture.md, decision 18). Calls
 * nobody waits for ({@link #submit}: leases of requests admitted ahead, decision 32) are led by a leader under way or,
 * when none is, by one daemon thread of this class, which exists only while there is such work.
 */
final class LeaseBatches {

    /** One lease script call: its keys and arguments, and its answer (or failure) once there, for its caller. */
    static final class Call {
        final List<String> keys;
        final List<String> args;
        /** The thread waiting for the answer; null for a call sent ahead ({@link #submit}), which nobody waits for. */
        private final Thread caller;
        /** What runs once the answer (or failure) is there, on the thread that got it; for calls sent ahead. */
        private final Consumer<Call> whenDone;
        /** Set when a leader takes the call into a batch: from then on only that leader's answer is awaited. */
        private volatile boolean taken;
        private volatile List<?> answer;
        private volatile RuntimeException failure;

        Call(List<String> keys, List<String> args) {
            this(keys, args, Thread.currentThread(), null);
        }

        private Call(List<String> keys, List<String> args, Thread caller, Consumer<Call> whenDone) {
            this.keys = keys;
            this.args = args;
            this.caller = caller;
            this.whenDone = whenDone;
        }

        /** A call nobody waits for: {@code whenDone} runs once its answer (or failure) is there. */
        static Call ahead(List<String> keys, List<String> args, Consumer<Call> whenDone) {
            return new Call(keys, args, null, whenDone);
        }

        boolean done() {
            return answer != null || failure != null;
        }

        void complete(List<?> result) {
            answer = result;
            finished();
        }

        void fail(RuntimeException e) {
            failure = e;
            finished();
        }

        private void finished() {
            if (whenDone != null) {
                whenDone.accept(this);
            } else {
                LockSupport.unpark(caller);
            }
        }

        List<?> result() {
            if (failure != null) {
                throw failure;
            }
            return answer;
        }
    }

    /** Calls per round trip at most: bounds the pipeline's buffers and the wait of the calls behind it. */
    static final int MAX_BATCH = 256;
    /** Round trips under way at once at most (each on its own pooled connection). */
    static final int MAX_LEADERS = 4;
    private static final int MAX_LED_BATCHES = 4;
    /**
     * How long a queued caller sleeps before it looks again by itself; it is normally woken sooner (its answer, or a
     * leader stepping down). Not shorter: a millisecond recheck woke every waiting request thread 1,000 times a second.
     */
    private static final long FOLLOWER_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final GuardedRedis redis;
    private final LuaScript script;
    private final ConcurrentLinkedQueue<Call> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger leaders = new AtomicInteger();
    private final LongAdder roundTrips = new LongAdder();
    private final LongAdder calls = new LongAdder();
    /**
     * Leads round trips for calls sent ahead, which have no thread waiting to lead them: one daemon thread, started
     * when needed and gone after a second without work.
     */
    private final ThreadPoolExecutor aheadLeader = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "rate-limit-leases");
                t.setDaemon(true);
                return t;
            });
    /** Set while a lead for calls sent ahead is scheduled and not yet started: one is enough for all queued. */
    private final AtomicBoolean aheadLeadScheduled = new AtomicBoolean();

    LeaseBatches(GuardedRedis redis, LuaScript script) {
        this.redis = redis;
        this.script = script;
        aheadLeader.allowCoreThreadTimeOut(true);
    }

    /**
     * Sends {@code call} (made by {@link Call#ahead}) without waiting for it: it goes in the next round trip, led by
     * a leader under way or by this class' own thread. Its completion runs on the thread that got the answer.
     */
    void submit(Call call) {
        queue.add(call);
        scheduleAheadLead();
    }

    private void scheduleAheadLead() {
        if (aheadLeadScheduled.compareAndSet(false, true)) {
            aheadLeader.execute(() -> {
                aheadLeadScheduled.set(false);
                // with every leader busy the call stays queued: a leader stepping down wakes the first one queued
                if (!queue.isEmpty() && tryLead()) {
                    lead();
                }
            });
        }
    }

    /**
     * Sends {@code call} (leading a round trip when none is under way) and waits for its answer until
     * {@code deadlineNanos} ({@link System#nanoTime()}). Must be called by the thread that created {@code call}.
     *
     * @throws TimeoutException when the answer did not come in time
     * @throws RuntimeException what Redis (or the connection to it) failed the call with
     */
    List<?> call(Call call, long deadlineNanos) throws TimeoutException {
        queue.add(call);
        while (!call.done()) {
            if (!call.taken && tryLead()) {
                lead();
                continue;
            }
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                if (queue.remove(call)) {
                    throw new TimeoutException("no answer from Redis for a rate-limit lease in time (not sent)");
                }
                throw new TimeoutException("no answer from Redis for a rate-limit lease in time");
            }
            long waiting = IoWaits.start();
            LockSupport.parkNanos(this, Math.min(left, FOLLOWER_RECHECK_NANOS));
            IoWaits.stop(waiting);
        }
        return call.result();
    }

    private boolean tryLead() {
        for (int n = leaders.get(); n < MAX_LEADERS; n = leaders.get()) {
            if (leaders.compareAndSet(n, n + 1)) {
                return true;
            }
        }
        return false;
    }

    /** Sends what is queued, as a leader (the caller has become one). */
    private void lead() {
        try {
            // the leader's own call is in its first batch unless more than MAX_BATCH were queued before it (or another
            // leader took it); it leads a few batches at most, so no caller serves others for long
            for (int led = 0; led < MAX_LED_BATCHES && !queue.isEmpty(); led++) {
                send(nextBatch());
            }
        } finally {
            leaders.decrementAndGet();
            wakeFirstQueued();
        }
    }

    /** After a leader stepped down: the first caller still queued may lead now (it checks for itself). */
    private void wakeFirstQueued() {
        Call first = queue.peek();
        if (first == null) {
            return;
        }
        if (first.caller != null) {
            LockSupport.unpark(first.caller);
        } else {
            scheduleAheadLead();
        }
    }

    private List<Call> nextBatch() {
        List<Call> batch = new ArrayList<>(Math.min(MAX_BATCH, 16));
        Call next;
        while (batch.size() < MAX_BATCH && (next = queue.poll()) != null) {
            next.taken = true;
            batch.add(next);
        }
        return batch;
    }

    private void send(List<Call> batch) {
        if (batch.isEmpty()) {
            return;
        }
        roundTrips.increment();
        calls.add(batch.size());
        if (batch.size() == 1) {
            Call only = batch.get(0);
            try {
                only.complete((List<?>) redis.call(r -> script.eval(r, only.keys, only.args)));
            } catch (RuntimeException e) {
                only.fail(e);
            }
            return;
        }
        try {
            redis.call(r -> {
                sendPipelined(r, batch, true);
                return null;
            });
        } catch (RuntimeException e) {
            for (Call call : batch) {
                if (!call.done()) {
                    call.fail(e);
                }
            }
        }
    }

    private void sendPipelined(UnifiedJedis redis, List<Call> batch, boolean mayReload) {
        List<Response<Object>> responses = new ArrayList<>(batch.size());
        try (AbstractPipeline pipeline = redis.pipelined()) {
            String sha = script.sha(redis);
            for (Call call : batch) {
                responses.add(pipeline.evalsha(sha, call.keys, call.args));
            }
            pipeline.sync();
        }
        for (int i = 0; i < batch.size(); i++) {
            try {
                batch.get(i).complete((List<?>) responses.get(i).get());
            } catch (JedisDataException e) {
                if (mayReload && script.forgotten(e)) {
                    // Redis lost its script cache (restart, failover, SCRIPT FLUSH): the calls not answered yet did
                    // not run; send them again once the script is loaded
                    sendPipelined(redis, batch.subList(i, batch.size()), false);
                    return;
                }
                batch.get(i).fail(e);
            }
        }
    }

    /** Round trips to Redis for leases since start. */
    long roundTrips() {
        return roundTrips.sum();
    }

    /** Lease calls sent since start (each in some round trip). */
    long calls() {
        return calls.sum();
    }
}

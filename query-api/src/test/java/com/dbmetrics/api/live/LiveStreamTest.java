package com.dbmetrics.api.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.api.ApiConfig;
import com.dbmetrics.api.service.SnapshotRenderer;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One stream against a connection that always takes writes: what goes out in which write. */
class LiveStreamTest {

    /** A connection that is always ready and keeps each write apart. */
    private static final class Connection extends ServletOutputStream {
        final List<String> writes = new ArrayList<>();
        /** False: a client that stopped reading (its socket buffers full). */
        volatile boolean ready = true;

        @Override
        public boolean isReady() {
            return ready;
        }

        @Override
        public void setWriteListener(WriteListener listener) {
            // always ready: the stream writes when it is given something
        }

        @Override
        public void write(int b) {
            writes.add(String.valueOf((char) b));
        }

        @Override
        public void write(byte[] b, int off, int len) {
            writes.add(new String(b, off, len, StandardCharsets.UTF_8));
        }
    }

    private final Connection connection = new Connection();
    private StreamHub hub;
    private LiveStream stream;

    @BeforeEach
    void open() {
        hub = new StreamHub(new SnapshotRenderer(null, new ObjectMapper(), Clock.systemUTC(), Duration.ZERO),
                new ApiConfig.Live(true, 10, 10, 8, Duration.ofSeconds(15)));
        stream = attached(8);
    }

    /** A stream on {@link #connection} that has sent its first line, holding at most {@code buffer} frames. */
    private LiveStream attached(int buffer) {
        connection.writes.clear();
        LiveStream s = new LiveStream(hub, "alice", null, "acme/shop", "", null, buffer);
        AsyncContext async = (AsyncContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {AsyncContext.class}, (proxy, method, args) -> null);
        s.attach(async, connection);
        s.start(List.of());
        assertThat(connection.writes).containsExactly("retry: 2000\n\n");
        connection.writes.clear();
        return s;
    }

    @AfterEach
    void close() {
        hub.close();
    }

    private static LiveStream.Frame frame(String db, long millis) {
        return new LiveStream.Frame(db, millis, ("id: " + millis + "\ndata: " + db + "\n\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void framesHandedOverWhileWaitingForTheWriterGoOutInOneWrite() {
        assertThat(stream.offer(frame("pg", 1000))).as("the first frame asks for a writer").isTrue();
        assertThat(stream.offer(frame("redis", 1000))).as("it waits for one already").isFalse();
        assertThat(stream.offer(frame("pg", 900))).as("an older frame of pg: handed over, then skipped").isFalse();
        assertThat(connection.writes).as("nothing is written on the fan-out's thread").isEmpty();

        stream.writeQueued();

        assertThat(connection.writes).containsExactly("id: 1000\ndata: pg\n\nid: 1000\ndata: redis\n\n");
        assertThat(stream.offer(frame("pg", 2000))).as("written: the next frame asks for a writer again").isTrue();
        stream.writeQueued();
        assertThat(connection.writes).last().isEqualTo("id: 2000\ndata: pg\n\n");
    }

    @Test
    void twoWritersTakingTheSameStreamInTurnKeepTheFeedsOrderAndLoseNothing() throws Exception {
        int frames = 20_000;
        LiveStream stream = attached(frames); // what waits is bounded by the writers' pace here, not by a client
        BlockingQueue<Object> ready = new LinkedBlockingQueue<>();
        Object stop = new Object();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) { // as StreamHub's writers: whichever is free takes the stream next
            Thread writer = new Thread(() -> {
                try {
                    for (Object next = ready.take(); next != stop; next = ready.take()) {
                        stream.writeQueued();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            writer.start();
            writers.add(writer);
        }
        for (int i = 1; i <= frames; i++) { // the fan-out's one thread
            if (stream.offer(frame("pg", i))) {
                ready.add(stream);
            }
        }
        ready.add(stop);
        ready.add(stop);
        for (Thread writer : writers) {
            writer.join(TimeUnit.SECONDS.toMillis(30));
        }
        stream.writeQueued(); // anything handed over after the last writer's turn

        List<Long> ids = new ArrayList<>();
        for (String write : connection.writes) {
            for (String line : write.split("\n")) {
                if (line.startsWith("id: ")) {
                    ids.add(Long.parseLong(line.substring(4)));
                }
            }
        }
        assertThat(ids).as("every frame once, in the feed's order").hasSize(frames).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void aHandOverLargerThanTheBufferGoesToAClientThatReads() {
        for (int db = 0; db < 20; db++) { // a tick of a project with 20 databases; the buffer holds 8
            stream.offer(frame("db-" + db, 1000));
        }
        stream.writeQueued();

        assertThat(connection.writes).hasSize(1).first().asString().contains("data: db-0\n", "data: db-19\n");
        assertThat(stream.done()).as("the client reads: not too slow").isNotDone();
    }

    @Test
    void aClientThatStopsReadingIsDroppedOnceMoreThanTheBufferWaits() {
        connection.ready = false;
        for (int db = 0; db < 8; db++) {
            stream.offer(frame("db-" + db, 1000));
        }
        stream.writeQueued();
        assertThat(stream.done()).as("8 frames wait: the buffer holds them").isNotDone();

        stream.offer(frame("db-8", 1000));
        stream.writeQueued();

        assertThat(stream.done()).as("9 wait: too slow").isDone();
        assertThat(connection.writes).isEmpty();
    }

    @Test
    void onlyAStreamWithoutWritesForHalfTheHeartbeatGetsOne() {
        long idle = TimeUnit.SECONDS.toNanos(30);
        stream.heartbeat(System.nanoTime(), idle);
        assertThat(connection.writes).as("just written to (its retry line)").isEmpty();

        stream.heartbeat(System.nanoTime() + idle, idle);

        assertThat(connection.writes).containsExactly(":\n\n");
        stream.offer(frame("pg", 1000));
        stream.writeQueued();
        stream.heartbeat(System.nanoTime() + idle / 2, idle);
        assertThat(connection.writes).as("an event was just written").hasSize(2);
    }
}

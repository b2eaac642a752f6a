package com.dbmetrics.poller.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.dbmetrics.poller.prometheus.FakePrometheus.Answer;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.time.MutableClock;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The guarded client against an in-process HTTP server: what reaches "Prometheus", what opens the breaker. */
@Timeout(30)
class GuardedPrometheusHttpTest {

    private final MutableClock clock = new MutableClock();
    private final List<PollerStatus> transitions = new ArrayList<>();
    private final FakePrometheus fake;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    GuardedPrometheusHttpTest() throws Exception {
        fake = new FakePrometheus();
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
        fake.close();
    }

    private GuardedPrometheus guarded(int threshold, int maxInFlight, int maxBodyBytes) {
        PrometheusClient client = new PrometheusClient(HttpClient.newHttpClient(), fake.url(), Json.newMapper(),
                Duration.ofSeconds(5), maxBodyBytes);
        return new GuardedPrometheus(client, GuardedPrometheus.newBreaker(threshold, Duration.ofSeconds(60), clock),
                clock, "p1", transitions::add, maxInFlight, Duration.ofSeconds(10));
    }

    @Test
    void shouldTimeOutAnAnswerWhoseBodyStallsAfterItsHeaders() throws Exception {
        PrometheusClient client = new PrometheusClient(HttpClient.newHttpClient(), fake.url(), Json.newMapper(),
                Duration.ofMillis(500), 1 << 20);
        fake.stallBodyMillis = 10_000;
        long start = System.nanoTime();

        assertThatThrownBy(() -> client.query("up", Instant.now()))
                .isInstanceOfSatisfying(PrometheusException.class,
                        e -> assertThat(e.kind()).isEqualTo(PrometheusException.Kind.TIMEOUT));

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        fake.stallBodyMillis = 0;
        assertThat(client.query("up", Instant.now())).isEmpty(); // the client is usable afterwards
    }

    @Test
    void shouldOpenOnUnparsableBodiesAndThenLetNoCallReachPrometheus() {
        GuardedPrometheus prometheus = guarded(3, 4, 1 << 20);
        fake.answer = () -> Answer.html(200, "<html><body>502 from the proxy, with status 200</body></html>");

        for (int i = 0; i < 3; i++) {
            assertKind(prometheus, PrometheusException.Kind.MALFORMED);
        }
        assertThat(prometheus.status().state()).isEqualTo(PollerStatus.State.OPEN);
        int reached = fake.requests.get();

        for (int i = 0; i < 10; i++) {
            assertKind(prometheus, PrometheusException.Kind.BREAKER_OPEN);
        }
        assertThat(fake.requests.get()).isEqualTo(reached);

        fake.answer = () -> Answer.json(200, FakePrometheus.EMPTY_VECTOR);
        clock.advance(Duration.ofSeconds(61));
        assertThat(call(prometheus)).isEmpty();
        assertThat(prometheus.status().state()).isEqualTo(PollerStatus.State.CLOSED);
        assertThat(transitions).extracting(PollerStatus::state).containsExactly(PollerStatus.State.OPEN,
                PollerStatus.State.HALF_OPEN, PollerStatus.State.CLOSED);
        assertThat(transitions.get(2).lastSuccess()).as("the CLOSED transition carries the probe's success")
                .isEqualTo(clock.instant());
    }

    @Test
    void shouldOpenOnServerErrorsButNeverOnRefusedQueries() {
        GuardedPrometheus prometheus = guarded(3, 4, 1 << 20);
        fake.answer = () -> Answer.json(400, "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}");
        for (int i = 0; i < 10; i++) {
            assertKind(prometheus, PrometheusException.Kind.QUERY_ERROR);
        }
        assertThat(prometheus.status().state()).isEqualTo(PollerStatus.State.CLOSED);

        fake.answer = () -> Answer.json(503, "{\"status\":\"error\",\"errorType\":\"unavailable\",\"error\":\"x\"}");
        for (int i = 0; i < 3; i++) {
            assertKind(prometheus, PrometheusException.Kind.HTTP_ERROR);
        }
        assertThat(prometheus.status().state()).isEqualTo(PollerStatus.State.OPEN);
        assertThat(prometheus.status().lastError()).contains("503");
    }

    @Test
    void shouldRefuseOversizedBodyWithoutOpeningTheBreaker() {
        GuardedPrometheus prometheus = guarded(2, 4, 1024);
        StringBuilder big = new StringBuilder("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[");
        for (int i = 0; i < 100; i++) {
            big.append(i == 0 ? "" : ",").append("{\"metric\":{\"database_id\":\"db-").append(i)
                    .append("\"},\"value\":[1,\"1\"]}");
        }
        String body = big.append("]}}").toString();
        fake.answer = () -> Answer.json(200, body);

        for (int i = 0; i < 5; i++) {
            assertKind(prometheus, PrometheusException.Kind.OVERSIZED);
        }
        assertThat(prometheus.status().state()).isEqualTo(PollerStatus.State.CLOSED);
    }

    @Test
    void shouldKeepAtMostTheConfiguredNumberOfQueriesInFlight() {
        GuardedPrometheus prometheus = guarded(5, 4, 1 << 20);
        CountDownLatch release = new CountDownLatch(1);
        fake.answer = () -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Answer.json(200, FakePrometheus.EMPTY_VECTOR);
        };
        List<CompletableFuture<List<Sample>>> calls = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> call(prometheus), pool));
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> fake.inFlight.get() == 4);
        assertThat(prometheus.freeSlots()).isZero();
        assertThat(fake.requests.get()).isEqualTo(4);
        release.countDown();
        calls.forEach(CompletableFuture::join);

        assertThat(fake.maxInFlight.get()).isEqualTo(4);
        assertThat(fake.requests.get()).isEqualTo(10);
        assertThat(prometheus.freeSlots()).isEqualTo(4);
    }

    private List<Sample> call(GuardedPrometheus prometheus) {
        try {
            return prometheus.query("up", Instant.parse("2026-11-25T10:00:00Z"));
        } catch (PrometheusException e) {
            throw new IllegalStateException(e);
        }
    }

    private void assertKind(GuardedPrometheus prometheus, PrometheusException.Kind kind) {
        assertThatThrownBy(() -> prometheus.query("up", clock.instant()))
                .isInstanceOfSatisfying(PrometheusException.class, e -> assertThat(e.kind()).isEqualTo(kind));
    }
}

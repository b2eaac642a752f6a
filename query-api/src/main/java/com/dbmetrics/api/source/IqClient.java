package com.dbmetrics.api.source;

import com.dbmetrics.api.load.IoWaits;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.config.InternalToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the streams-app's interactive-query API (any instance routes to the owner). Tries the configured instances in
 * turn, starting from the last one that answered, until one gives a definite answer. A reader that has something to
 * answer meanwhile (Redis' stale copy, a page read before) asks through {@link #async} and waits {@link #READER_WAIT}
 * at most ({@link #within}): a streams-app that accepts connections but does not answer (paused, overloaded) would
 * otherwise hold it for the query's timeout.
 */
public final class IqClient {

    private static final Logger log = LoggerFactory.getLogger(IqClient.class);
    /**
     * How long a reader with something to answer meanwhile waits for the streams-app, then answers that and lets the
     * streams-app's answer replace it when it comes. The streams-app answers from its local store in milliseconds; one
     * that accepts connections but does not answer held every reader of a database for the query's 3 s timeout
     * (./dbm chaos streams-stop: 9 client timeouts). Without anything to answer meanwhile, a reader waits for the
     * answer.
     */
    public static final Duration READER_WAIT = Duration.ofMillis(250);
    /** Interactive queries in flight for readers at most, and waiting; beyond, a reader asks on its own thread. */
    static final int READER_THREADS = 8;
    static final int READER_QUEUE = 64;

    /** Readers' queries; idle threads end after 30 s, so a client needs no closing. */
    private final ThreadPoolExecutor readerCalls = readerCalls();

    private final HttpClient http;
    private final List<URI> instances;
    private final JsonSerde<MetricsSnapshot> snapshots;
    private final Duration timeout;
    private final com.fasterxml.jackson.databind.ObjectMapper mapper;
    private final AtomicInteger preferred = new AtomicInteger();
    /** {@code Bearer <token>}: the streams-app answers 401 to any call without it. */
    private final String authorization;

    public IqClient(HttpClient http, List<URI> instances, InternalToken token, JsonSerde<MetricsSnapshot> snapshots,
            com.fasterxml.jackson.databind.ObjectMapper mapper, Duration timeout) {
        this.http = http;
        this.authorization = token.authorization();
        this.mapper = mapper;
        this.instances = List.copyOf(instances);
        this.snapshots = snapshots;
        this.timeout = timeout;
    }

    private static ThreadPoolExecutor readerCalls() {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(READER_THREADS, READER_THREADS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(READER_QUEUE), r -> {
                    Thread t = new Thread(r, "iq-read");
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** {@code call} (a query of this client's) on the readers' threads; on the caller's when they are all busy. */
    public <T> CompletableFuture<T> async(Supplier<T> call) {
        try {
            return CompletableFuture.supplyAsync(call, readerCalls);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(IoWaits.during(call));
        }
    }

    /** What {@code pending} answered within {@code wait}; null when it has not answered yet; {@code failed} of why. */
    public static <T> T within(CompletableFuture<T> pending, Duration wait, Function<Throwable, T> failed) {
        long waiting = IoWaits.start();
        try {
            return pending.get(wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (ExecutionException e) {
            return failed.apply(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed.apply(e);
        } finally {
            IoWaits.stop(waiting);
        }
    }

    /** A GET of {@code url} carrying the token: every call to the internal API goes through here. */
    private HttpRequest request(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(timeout).header("Authorization", authorization).GET()
                .build();
    }

    public Lookup snapshot(String databaseId) {
        int start = preferred.get();
        String lastProblem = "no streams-app instance configured";
        for (int i = 0; i < instances.size(); i++) {
            int index = (start + i) % instances.size();
            URI base = instances.get(index);
            try {
                HttpResponse<byte[]> response = http.send(request(base + "/internal/v1/snapshots/" + databaseId),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() == 200) {
                    preferred.set(index);
                    return new Lookup.Found(snapshots.parse(response.body()), Layer.IQ);
                }
                if (response.statusCode() == 404) {
                    preferred.set(index);
                    return new Lookup.NotFound();
                }
                lastProblem = "HTTP " + response.statusCode() + " from " + base;
                if (response.statusCode() == 401) {
                    log.warn("streams-app at {} refused the interactive-query token (401)", base);
                }
            } catch (IOException e) {
                lastProblem = e.getClass().getSimpleName() + " from " + base;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Lookup.Unavailable("interrupted");
            }
        }
        log.debug("No streams-app instance answered for database_id={}: {}", databaseId, lastProblem);
        return new Lookup.Unavailable(lastProblem);
    }

    /** One page of a project's snapshots, as the streams-app gathers it from all its instances. */
    public record Page(List<MetricsSnapshot> items, String nextCursor) {}

    /** The page, or empty when no instance could answer. */
    public Optional<Page> projectPage(String domain, String project, String cursor, int limit) {
        return get("/internal/v1/projects/" + domain + "/" + project + "/snapshots?limit=" + limit
                + (cursor == null ? "" : "&cursor=" + cursor), root -> new Page(snapshotsOf(root.path("items")),
                        root.path("next_cursor").isTextual() ? root.path("next_cursor").asText() : null));
    }

    /**
     * Every snapshot of the database the streams-app's history store holds with an event time in [{@code fromMillis},
     * {@code toMillis}], oldest first (an empty list when it holds none); empty when no instance could answer.
     */
    public Optional<List<MetricsSnapshot>> history(String databaseId, long fromMillis, long toMillis) {
        return get("/internal/v1/snapshots/" + databaseId + "/history?from=" + fromMillis + "&to=" + toMillis,
                root -> snapshotsOf(root.path("points")));
    }

    /** Reads an answer's JSON; a value that breaks the schema fails it, and the next instance is asked. */
    @FunctionalInterface
    private interface Reader<T> {
        T read(JsonNode root) throws IOException;
    }

    /** The first 200 answer of the instances tried in turn, read; empty when none gave one that reads. */
    private <T> Optional<T> get(String path, Reader<T> reader) {
        int start = preferred.get();
        for (int i = 0; i < instances.size(); i++) {
            int index = (start + i) % instances.size();
            URI base = instances.get(index);
            try {
                HttpResponse<byte[]> response = http.send(request(base + path),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() != 200) {
                    continue;
                }
                T value = reader.read(mapper.readTree(response.body()));
                preferred.set(index);
                return Optional.of(value);
            } catch (IOException e) {
                log.debug("Interactive query {} at {} failed: {}", path, base, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private List<MetricsSnapshot> snapshotsOf(JsonNode array) throws IOException {
        List<MetricsSnapshot> items = new ArrayList<>(array.size());
        for (JsonNode item : array) {
            items.add(snapshots.parse(mapper.writeValueAsBytes(item)));
        }
        return items;
    }

    /**
     * Whether some instance answers on its interactive-query API: any answer below 500 to
     * {@code /internal/v1/poller-status} (its probes live on its management port, which the API is not told).
     */
    public boolean reachable() {
        for (URI base : instances) {
            try {
                HttpResponse<Void> response = http.send(request(base + "/internal/v1/poller-status"),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 401) {
                    log.warn("streams-app at {} refused the interactive-query token (401): check STREAMS_IQ_TOKEN_FILE",
                            base);
                } else if (response.statusCode() < 500) {
                    return true;
                }
            } catch (IOException e) {
                // try the next instance
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }
}

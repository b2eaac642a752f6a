package com.dbmetrics.poller.backfill;

import com.dbmetrics.poller.PollerConfig;
import com.dbmetrics.poller.catalogue.DiscoveryException;
import com.dbmetrics.poller.catalogue.EngineCatalogue;
import com.dbmetrics.poller.catalogue.InventorySource;
import com.dbmetrics.poller.prometheus.PrometheusClient;
import com.dbmetrics.poller.publish.KafkaPublisher;
import com.dbmetrics.poller.publish.Producers;
import com.dbmetrics.poller.publish.SnapshotRecords;
import com.dbmetrics.poller.publish.StatusChanges;
import com.dbmetrics.poller.publish.TickTransaction;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code poller backfill --from T1 --to T2 [--database ID | --engine E] [--rate RECORDS_PER_S]}: historical snapshots
 * from Prometheus range queries to {@code dbmetrics.snapshots.v1} with header {@code dbm-backfill: true}, throttled
 * (default 2000 records/s, 2 queries/s). Times are RFC 3339 ({@code 2026-11-25T10:00:00Z}). Prometheus, Kafka and the
 * inventory come from the same environment as the poller's.
 */
public final class BackfillCommand {

    private static final Logger log = LoggerFactory.getLogger(BackfillCommand.class);
    static final String USAGE = "usage: backfill --from T1 --to T2 [--database ID | --engine E] [--rate N]";

    private BackfillCommand() {}

    /** Runs the command; returns the process exit status (0 done, 1 failed, 2 bad arguments). */
    public static int run(String[] args, PollerConfig config) {
        Backfill.Request request;
        int rate;
        try {
            Map<String, String> options = options(args);
            request = new Backfill.Request(time(options, "--from"), time(options, "--to"),
                    Optional.ofNullable(options.get("--database")), Optional.ofNullable(options.get("--engine")));
            rate = Integer.parseInt(options.getOrDefault("--rate", "2000"));
            if (rate < 1) {
                throw new IllegalArgumentException("--rate must be >= 1 but was " + rate);
            }
        } catch (IllegalArgumentException | DateTimeParseException e) {
            log.error("{} ({})", USAGE, e.getMessage());
            return 2;
        }
        ObjectMapper mapper = Json.newMapper();
        PrometheusClient client = new PrometheusClient(HttpClient.newHttpClient(), config.prometheusUrl(), mapper,
                config.queryTimeout(), config.maxResponseBytes());
        EngineCatalogue catalogue = EngineCatalogue.load(mapper, config.queriesFile(), config.resourceMetrics());
        InventorySource inventory = InventorySource.of(config.inventoryFile(), mapper, config.pollInterval(),
                client::query);
        try (KafkaPublisher publisher = new KafkaPublisher(() -> Producers.create(config.kafkaBootstrapServers(),
                "dbmetrics-backfill-" + config.pollerId(), null), false,
                new SnapshotRecords(JsonSerde.snapshots(mapper), JsonSerde.pollerStatus(mapper), Clock.systemUTC()))) {
            Optional<TickTransaction> opened = publisher.activate()
                    ? publisher.beginTick(new StatusChanges()) : Optional.empty();
            if (opened.isEmpty()) {
                log.error("Kafka unreachable at {}", config.kafkaBootstrapServers());
                return 1;
            }
            TickTransaction batch = opened.get();
            Backfill.Result result = new Backfill(client::queryRange, inventory, catalogue, batch::publishBackfill,
                    config.pollInterval(), new Throttle(rate, 2)).run(request);
            boolean flushed = batch.commit();
            log.info("Backfill {}..{}: {} databases, {} range queries ({} failed), {} snapshots produced", request.from(),
                    request.to(), result.databases(), result.queries(), result.failedQueries(), result.snapshots());
            return flushed && result.failedQueries() == 0 ? 0 : 1;
        } catch (DiscoveryException e) {
            log.error("Cannot list the databases to backfill ({}): {}", e.kind(), e.getMessage());
            return 1;
        }
    }

    private static Instant time(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        return Instant.parse(value);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            options.put(args[i], args[++i]);
        }
        return options;
    }
}

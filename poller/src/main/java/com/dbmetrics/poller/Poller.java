package com.dbmetrics.poller;

import com.dbmetrics.poller.catalogue.Discovery;
import com.dbmetrics.poller.election.PollerElection;
import com.dbmetrics.poller.catalogue.EngineCatalogue;
import com.dbmetrics.poller.catalogue.InventoryFile;
import com.dbmetrics.poller.catalogue.InventorySource;
import com.dbmetrics.poller.prometheus.GuardedPrometheus;
import com.dbmetrics.poller.prometheus.PrometheusClient;
import com.dbmetrics.poller.publish.KafkaSnapshotSink;
import com.dbmetrics.poller.publish.TopicBootstrap;
import com.dbmetrics.poller.schedule.PollCycle;
import com.dbmetrics.poller.schedule.PollerMetrics;
import com.dbmetrics.poller.schedule.TickScheduler;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.schemas.Topics;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running poller: wires client, breaker, cycle, scheduler, Kafka sink and management server, and stops them. */
public final class Poller implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Poller.class);

    private final KafkaSnapshotSink sink;
    private final TickScheduler scheduler;
    private final ManagementServer management;
    private final GuardedPrometheus prometheus;
    private final ExecutorService queries;
    private final PollerElection election;

    private Poller(KafkaSnapshotSink sink, TickScheduler scheduler, ManagementServer management,
            GuardedPrometheus prometheus, ExecutorService queries, PollerElection election) {
        this.queries = queries;
        this.election = election;
        this.sink = sink;
        this.scheduler = scheduler;
        this.management = management;
        this.prometheus = prometheus;
    }

    public static Poller start(PollerConfig config, Clock clock) throws IOException {
        ObjectMapper mapper = Json.newMapper();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        EngineCatalogue catalogue = config.queriesFile()
                .map(file -> EngineCatalogue.fromFile(mapper, Path.of(file), config.resourceMetrics()))
                .orElseGet(() -> EngineCatalogue.builtIn(mapper, config.resourceMetrics()));
        HttpClient http = HttpClient.newBuilder()
                .connectTimeout(config.effectiveQueryTimeout())
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        PrometheusClient client = new PrometheusClient(http, config.prometheusUrl(), mapper,
                config.effectiveQueryTimeout(), config.maxResponseBytes());
        TopicBootstrap.ensure(config.kafkaBootstrapServers(),
                TopicBootstrap.topics(config.snapshotPartitions(), config.snapshotRetention()));
        String transactionalId = config.election() ? config.transactionalId() : null;
        KafkaSnapshotSink sink = new KafkaSnapshotSink(() -> KafkaSnapshotSink.newProducer(
                config.kafkaBootstrapServers(), "dbmetrics-poller-" + config.pollerId(), transactionalId),
                config.election(), JsonSerde.snapshots(mapper), JsonSerde.pollerStatus(mapper), clock, registry);
        PollerElection election = config.election()
                ? new PollerElection(config.kafkaBootstrapServers(), Topics.POLLER_ELECTION, config.electionGroup(),
                        config.pollerId(), config.electionSessionTimeout()).start()
                : null;
        registry.gauge("dbm_poller_active", sink, s -> s.isActive() ? 1 : 0);
        GuardedPrometheus prometheus = new GuardedPrometheus(client,
                GuardedPrometheus.newBreaker(config.breakerThreshold(), config.breakerTimeout(), clock), clock,
                config.pollerId(), sink::publish, config.maxInFlight(), config.effectiveQueryTimeout());
        registry.gauge("dbm_poller_breaker_open", prometheus,
                p -> p.status().state() == PollerStatus.State.OPEN ? 1 : 0);
        for (PollerStatus.State state : PollerStatus.State.values()) {
            Gauge.builder("dbm_poller_breaker_state", prometheus, p -> p.status().state() == state ? 1 : 0)
                    .description("1 for the breaker's current state").tag("state", state.name())
                    .register(registry);
        }
        InventorySource source = config.inventoryFile()
                .<InventorySource>map(file -> new InventoryFile(mapper, Path.of(file), config.pollInterval()))
                .orElseGet(() -> new Discovery(prometheus, config.pollInterval()));
        ExecutorService queries = Executors.newFixedThreadPool(config.maxInFlight(), daemon("poller-query"));
        PollCycle cycle = new PollCycle(prometheus, source, catalogue, sink, config.pollInterval(),
                config.discoveryInterval(), config.tombstoneAfter(), queries, new PollerMetrics(registry));
        Timer cycles = Timer.builder("dbm_poller_cycle_duration").description("Duration of one tick, publish included")
                .publishPercentileHistogram().register(registry);
        TickScheduler scheduler = new TickScheduler(clock, config.pollInterval(), config.ingestionDelay(),
                t -> runTick(cycle, prometheus, sink, election, t, clock, cycles, registry), registry);
        ManagementServer management = new ManagementServer(config.managementPort(), registry, () -> true);
        scheduler.start();
        log.info("Poller {} started: Prometheus {}, interval {}, engines {}, management port {}", config.pollerId(),
                config.prometheusUrl(), config.pollInterval(), catalogue.engines(), management.port());
        return new Poller(sink, scheduler, management, prometheus, queries, election);
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * One tick: only the active poller queries Prometheus and writes. A standby skips the tick entirely (no query);
     * the active one writes the tick in Kafka transactions (one per engine, committed as soon as that engine's queries
     * have answered), which a newer leader's producer can fence.
     */
    private static void runTick(PollCycle cycle, GuardedPrometheus prometheus, KafkaSnapshotSink sink,
            PollerElection election, Instant t, Clock clock, Timer cycles, MeterRegistry registry) {
        boolean elected = election == null || election.isActive();
        if (!elected) {
            if (sink.isActive()) {
                log.info("Standing by: another poller is active");
                sink.deactivate();
            }
            registry.counter("dbm_poller_standby_ticks").increment();
            return;
        }
        if (!sink.isActive()) {
            if (!sink.activate()) {
                registry.counter("dbm_poller_ticks_aborted_total").increment();
                return;
            }
            log.info("Active: producing{}", election == null ? "" : " transactionally, older leaders fenced");
        }
        if (!sink.beginTick()) {
            return;
        }
        long started = clock.millis();
        PollCycle.Outcome outcome = cycles.record(() -> cycle.run(t));
        sink.publish(prometheus.status());
        boolean committed = sink.endTick();
        log.info("Tick T={} databases={} due={} queries={} failed={} snapshots={} tombstones={} committed={} took {} ms",
                t, cycle.inventory().databases().size(), outcome.due(), outcome.queries(), outcome.failedQueries(),
                outcome.snapshots(), outcome.tombstones(), committed, clock.millis() - started);
    }

    public int managementPort() {
        return management.port();
    }

    /** Whether this poller is the active one and producing. */
    public boolean isActive() {
        return sink.isActive();
    }

    public GuardedPrometheus prometheus() {
        return prometheus;
    }

    @Override
    public void close() {
        scheduler.close();
        queries.shutdownNow();
        if (election != null) {
            election.close();
        }
        sink.close();
        management.close();
    }
}

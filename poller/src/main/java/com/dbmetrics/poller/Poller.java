package com.dbmetrics.poller;

import com.dbmetrics.poller.catalogue.EngineCatalogue;
import com.dbmetrics.poller.catalogue.InventorySource;
import com.dbmetrics.poller.election.PollerElection;
import com.dbmetrics.poller.prometheus.BreakerMetrics;
import com.dbmetrics.poller.prometheus.GuardedPrometheus;
import com.dbmetrics.poller.prometheus.PrometheusClient;
import com.dbmetrics.poller.publish.KafkaPublisher;
import com.dbmetrics.poller.publish.Producers;
import com.dbmetrics.poller.publish.SnapshotRecords;
import com.dbmetrics.poller.publish.StatusChanges;
import com.dbmetrics.poller.publish.TopicBootstrap;
import com.dbmetrics.poller.schedule.PollCycle;
import com.dbmetrics.poller.schedule.PollerMetrics;
import com.dbmetrics.poller.schedule.TickMetrics;
import com.dbmetrics.poller.schedule.TickRunner;
import com.dbmetrics.poller.schedule.TickScheduler;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.dbmetrics.schemas.Topics;
import com.dbmetrics.schemas.ops.ManagementServer;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The poller process: its constructor wires the Prometheus client and breaker, the cycle, the tick runner and
 * scheduler, the Kafka publisher, the election and the management server, without a thread or a port;
 * {@link #start()} creates missing topics and starts the election, the management server and the ticks;
 * {@link #close()} stops them.
 */
public final class Poller implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Poller.class);
    /**
     * {@code /healthz} fails when no tick has ended for this many intervals (plus the ingestion delay): each tick ends
     * within an interval (its deadline), so three in a row missing means the ticks stopped.
     */
    static final int LIVENESS_INTERVALS = 3;

    private final PollerConfig config;
    private final KafkaPublisher publisher;
    private final TickScheduler scheduler;
    private final ManagementServer management;
    private final GuardedPrometheus prometheus;
    private final ExecutorService queries;
    private final PollerElection election;
    private final EngineCatalogue catalogue;

    public Poller(PollerConfig config, Clock clock) {
        this.config = config;
        ObjectMapper mapper = Json.newMapper();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        catalogue = EngineCatalogue.load(mapper, config.queriesFile(), config.resourceMetrics());
        HttpClient http = config.prometheusAuth().httpClient().connectTimeout(config.effectiveQueryTimeout())
                .version(HttpClient.Version.HTTP_1_1).build();
        PrometheusClient client = new PrometheusClient(http, config.prometheusUrl(), mapper,
                config.effectiveQueryTimeout(), config.maxResponseBytes(), config.prometheusAuth().requestHeaders(clock));
        String transactionalId = config.election() ? config.transactionalId() : null;
        publisher = new KafkaPublisher(() -> Producers.create(config.kafka(),
                "dbmetrics-poller-" + config.pollerId(), transactionalId), config.election(),
                new SnapshotRecords(JsonSerde.snapshots(mapper), JsonSerde.pollerStatus(mapper), clock));
        election = config.election()
                ? new PollerElection(config.kafka(), Topics.POLLER_ELECTION, config.electionGroup(),
                        config.pollerId(), config.electionSessionTimeout())
                : null;
        StatusChanges statusChanges = new StatusChanges();
        prometheus = new GuardedPrometheus(client,
                GuardedPrometheus.newBreaker(config.breakerThreshold(), config.breakerTimeout(), clock), clock,
                config.pollerId(), statusChanges, config.maxInFlight(), config.effectiveQueryTimeout());
        queries = Executors.newFixedThreadPool(config.maxInFlight(), daemon("poller-query"));
        PollerMetrics cycleMetrics = new PollerMetrics();
        PollCycle cycle = new PollCycle(prometheus,
                InventorySource.of(config.inventoryFile(), mapper, config.pollInterval(), prometheus), catalogue,
                config.pollInterval(), config.discoveryInterval(), config.tombstoneAfter(), queries, cycleMetrics,
                clock);
        TickMetrics tickMetrics = new TickMetrics();
        BooleanSupplier elected = election == null ? () -> true : election::isActive;
        TickRunner ticks = new TickRunner(cycle, publisher, elected, config.election(), prometheus::status,
                statusChanges, clock, tickMetrics);
        scheduler = new TickScheduler(clock, config.pollInterval(), config.ingestionDelay(), ticks, tickMetrics);
        List<MeterBinder> binders = List.of(publisher.metrics(), new BreakerMetrics(prometheus), cycleMetrics,
                tickMetrics);
        binders.forEach(binder -> binder.bindTo(registry));
        management = new ManagementServer(new InetSocketAddress(config.bindHost(), config.managementPort()), registry::scrape,
                Map.of("/healthz", () -> scheduler.ticking(LIVENESS_INTERVALS)));
    }

    /** Builds and starts a poller: {@code new Poller(config, clock).start()}. */
    public static Poller start(PollerConfig config, Clock clock) {
        return new Poller(config, clock).start();
    }

    /** Creates the poller's missing topics, then starts the election, the management server and the ticks. */
    public Poller start() {
        TopicBootstrap.ensure(config.kafka(),
                TopicBootstrap.topics(config.snapshotPartitions(), config.snapshotRetention()));
        if (election != null) {
            election.start();
        }
        management.start();
        scheduler.start();
        log.info("Poller {} started: Prometheus {} ({}), Kafka {}, interval {}, engines {}, management on {}:{}",
                config.pollerId(), config.prometheusUrl(), config.prometheusAuth().describe(), config.kafka().describe(),
                config.pollInterval(), catalogue.engines(), config.bindHost(), management.port());
        return this;
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    public int managementPort() {
        return management.port();
    }

    /** Whether this poller is the active one and producing. */
    public boolean isActive() {
        return publisher.isActive();
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
        publisher.close();
        management.close();
    }
}

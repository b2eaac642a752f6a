package com.dbmetrics.poller;

import com.dbmetrics.poller.catalogue.EngineCatalogue;
import com.dbmetrics.poller.prometheus.GuardedPrometheus;
import com.dbmetrics.poller.prometheus.PrometheusClient;
import com.dbmetrics.poller.publish.KafkaSnapshotSink;
import com.dbmetrics.poller.schedule.PollCycle;
import com.dbmetrics.poller.schedule.TickScheduler;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.JsonSerde;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running poller: wires client, breaker, cycle, scheduler, Kafka sink and management server, and stops them. */
public final class Poller implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Poller.class);

    private final KafkaSnapshotSink sink;
    private final TickScheduler scheduler;
    private final ManagementServer management;
    private final GuardedPrometheus prometheus;

    private Poller(KafkaSnapshotSink sink, TickScheduler scheduler, ManagementServer management,
            GuardedPrometheus prometheus) {
        this.sink = sink;
        this.scheduler = scheduler;
        this.management = management;
        this.prometheus = prometheus;
    }

    public static Poller start(PollerConfig config, Clock clock) throws IOException {
        ObjectMapper mapper = Json.newMapper();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        EngineCatalogue catalogue = config.queriesFile()
                .map(file -> EngineCatalogue.fromFile(mapper, Path.of(file)))
                .orElseGet(() -> EngineCatalogue.builtIn(mapper));
        HttpClient http = HttpClient.newBuilder()
                .connectTimeout(config.effectiveQueryTimeout())
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        PrometheusClient client = new PrometheusClient(http, config.prometheusUrl(), mapper,
                config.effectiveQueryTimeout());
        KafkaSnapshotSink sink = new KafkaSnapshotSink(
                KafkaSnapshotSink.newProducer(config.kafkaBootstrapServers(), "dbmetrics-poller-" + config.pollerId()),
                JsonSerde.snapshots(mapper), JsonSerde.pollerStatus(mapper), clock, registry);
        GuardedPrometheus prometheus = new GuardedPrometheus(client,
                GuardedPrometheus.newBreaker(config.breakerThreshold(), config.breakerTimeout(), clock), clock,
                config.pollerId(), sink::publish);
        registry.gauge("dbm_poller_breaker_open", prometheus,
                p -> p.status().state() == com.dbmetrics.schemas.PollerStatus.State.OPEN ? 1 : 0);
        PollCycle cycle = new PollCycle(prometheus, catalogue, sink, config.pollInterval(),
                config.discoveryInterval(), registry);
        TickScheduler scheduler = new TickScheduler(clock, config.pollInterval(), config.ingestionDelay(),
                t -> runTick(cycle, prometheus, sink, t, clock), registry);
        ManagementServer management = new ManagementServer(config.managementPort(), registry, () -> true);
        scheduler.start();
        log.info("Poller {} started: Prometheus {}, interval {}, engines {}, management port {}", config.pollerId(),
                config.prometheusUrl(), config.pollInterval(), catalogue.engines(), management.port());
        return new Poller(sink, scheduler, management, prometheus);
    }

    private static void runTick(PollCycle cycle, GuardedPrometheus prometheus, KafkaSnapshotSink sink, Instant t,
            Clock clock) {
        long started = clock.millis();
        PollCycle.Outcome outcome = cycle.run(t);
        sink.publish(prometheus.status());
        sink.flush();
        log.info("Tick T={} databases={} queries={} failed={} snapshots={} took {} ms", t,
                cycle.inventory().databases().size(), outcome.queries(), outcome.failedQueries(), outcome.snapshots(),
                clock.millis() - started);
    }

    public int managementPort() {
        return management.port();
    }

    public GuardedPrometheus prometheus() {
        return prometheus;
    }

    @Override
    public void close() {
        scheduler.close();
        sink.close();
        management.close();
    }
}

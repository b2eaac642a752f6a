package com.dbmetrics.poller;

import com.dbmetrics.poller.catalogue.ResourceMode;
import com.dbmetrics.poller.prometheus.PrometheusAuth;
import com.dbmetrics.schemas.config.ConfigException;
import com.dbmetrics.schemas.config.Env;
import com.dbmetrics.schemas.config.KafkaClientSettings;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the poller is configured with; {@link #fromEnv} reads it and the constructor refuses bad values. Kafka
 * is reached as {@link KafkaClientSettings} say (the variables every process shares), Prometheus with the credentials,
 * headers and CA of {@link PrometheusAuth}.
 */
public record PollerConfig(
        URI prometheusUrl,
        PrometheusAuth prometheusAuth,
        KafkaClientSettings kafka,
        String bindHost,
        Duration pollInterval,
        Duration ingestionDelay,
        Duration discoveryInterval,
        Duration queryTimeout,
        int breakerThreshold,
        Duration breakerTimeout,
        String pollerId,
        Optional<String> queriesFile,
        int managementPort,
        ResourceMode resourceMetrics,
        int maxInFlight,
        int maxResponseBytes,
        int tombstoneAfter,
        Optional<String> inventoryFile,
        boolean election,
        String electionGroup,
        String transactionalId,
        Duration electionSessionTimeout,
        int snapshotPartitions,
        Duration snapshotRetention) {

    /** Partitions of dbmetrics.snapshots.v1 when the poller has to create it (default 6). */
    public static final String POLLER_SNAPSHOTS_PARTITIONS = "POLLER_SNAPSHOTS_PARTITIONS";
    /** Retention of dbmetrics.snapshots.v1 when the poller has to create it (default 7 days). */
    public static final String POLLER_SNAPSHOTS_RETENTION = "POLLER_SNAPSHOTS_RETENTION";
    /** Base URL of Prometheus' HTTP API. */
    public static final String PROMETHEUS_URL = "PROMETHEUS_URL";
    /** Address the management server ({@code /healthz}, {@code /metrics}) binds (default 127.0.0.1, loopback). */
    public static final String POLLER_BIND_HOST = "POLLER_BIND_HOST";
    static final String DEFAULT_BIND_HOST = "127.0.0.1";
    /** Base tick: every database is polled once per interval (default 15 s). */
    public static final String METRICS_POLL_INTERVAL = "METRICS_POLL_INTERVAL";
    /** How long after evaluation time T a query for T is sent, so later queries at T agree (default 2 s). */
    public static final String POLLER_INGESTION_DELAY = "POLLER_INGESTION_DELAY";
    /** How often the inventory is rediscovered from Prometheus target labels (default 30 s). */
    public static final String POLLER_DISCOVERY_INTERVAL = "POLLER_DISCOVERY_INTERVAL";
    /** Timeout of one Prometheus query; never more than the poll interval (default 30 s, capped). */
    public static final String POLLER_QUERY_TIMEOUT = "POLLER_QUERY_TIMEOUT";
    /** Consecutive failed queries that open the breaker (default 5). */
    public static final String CIRCUIT_BREAKER_THRESHOLD = "CIRCUIT_BREAKER_THRESHOLD";
    /** How long the breaker stays open before a trial query (default 60 s). */
    public static final String CIRCUIT_BREAKER_TIMEOUT = "CIRCUIT_BREAKER_TIMEOUT";
    /** Name of this poller instance in its status records (default: host name). */
    public static final String POLLER_ID = "POLLER_ID";
    /** Optional file overriding the built-in engine query catalogue. */
    public static final String POLLER_QUERIES_FILE = "POLLER_QUERIES_FILE";
    /** Port of /healthz and /metrics; 0 picks a free port (default 0). */
    public static final String POLLER_MANAGEMENT_PORT = "POLLER_MANAGEMENT_PORT";

    /** Where CPU and memory come from when an exporter has none: {@code process} (default) or {@code container}. */
    public static final String POLLER_RESOURCE_METRICS = "POLLER_RESOURCE_METRICS";
    /** Queries allowed in flight toward Prometheus at once; the queries of a tick run in parallel up to it (4). */
    public static final String POLLER_MAX_IN_FLIGHT = "POLLER_MAX_IN_FLIGHT";
    /** Largest Prometheus answer read, in bytes; a larger one is refused as oversized (32 MiB). */
    public static final String POLLER_MAX_RESPONSE_BYTES = "POLLER_MAX_RESPONSE_BYTES";
    /** Consecutive non-empty discoveries a database must be absent from before its tombstone is published (3). */
    public static final String POLLER_TOMBSTONE_AFTER = "POLLER_TOMBSTONE_AFTER";
    /** Optional static inventory file (JSON) used instead of discovery from Prometheus target labels. */
    public static final String POLLER_INVENTORY_FILE = "POLLER_INVENTORY_FILE";

    /** Active/standby: join the election group and produce transactionally only while active (default true). */
    public static final String POLLER_ELECTION = "POLLER_ELECTION";
    /** Consumer group on dbmetrics.poller-election.v1 whose partition owner is the active poller. */
    public static final String POLLER_ELECTION_GROUP = "POLLER_ELECTION_GROUP";
    /** transactional.id shared by the pollers of one group: the new leader's producer fences the old one's. */
    public static final String POLLER_TRANSACTIONAL_ID = "POLLER_TRANSACTIONAL_ID";
    /** Session timeout of the election group: how long a silent leader keeps the role (default 10 s). */
    public static final String POLLER_ELECTION_SESSION_TIMEOUT = "POLLER_ELECTION_SESSION_TIMEOUT";

    /** Prometheus' own default of concurrent queries is 20: the poller never takes more than this many of them. */
    static final int MAX_IN_FLIGHT_LIMIT = 20;

    public PollerConfig {
        if (prometheusUrl == null || prometheusUrl.getScheme() == null || prometheusUrl.getHost() == null) {
            throw new ConfigException(PROMETHEUS_URL + " must be an http(s) URL but was " + prometheusUrl);
        }
        if (prometheusAuth == null) {
            throw new IllegalArgumentException("prometheusAuth must not be null");
        }
        if (prometheusAuth.caFile() != null && !"https".equals(prometheusUrl.getScheme())) {
            throw new ConfigException(PrometheusAuth.PROMETHEUS_CA_FILE + " is set but " + PROMETHEUS_URL
                    + " is not https");
        }
        if (kafka == null) {
            throw new ConfigException(KafkaClientSettings.KAFKA_BOOTSTRAP_SERVERS + " must be set");
        }
        if (bindHost == null || bindHost.isBlank()) {
            throw new ConfigException(POLLER_BIND_HOST + " must not be blank");
        }
        Env.requirePositive(METRICS_POLL_INTERVAL, pollInterval);
        if (pollInterval.toMillis() % 1000 != 0) {
            throw new ConfigException(METRICS_POLL_INTERVAL + " must be whole seconds but was " + pollInterval);
        }
        if (ingestionDelay == null || ingestionDelay.isNegative() || ingestionDelay.compareTo(pollInterval) >= 0) {
            throw new ConfigException(POLLER_INGESTION_DELAY + " must be >= 0 and < " + METRICS_POLL_INTERVAL
                    + " but was " + ingestionDelay);
        }
        Env.requirePositive(POLLER_DISCOVERY_INTERVAL, discoveryInterval);
        Env.requirePositive(POLLER_QUERY_TIMEOUT, queryTimeout);
        Env.requireAtLeast(CIRCUIT_BREAKER_THRESHOLD, breakerThreshold, 1);
        Env.requirePositive(CIRCUIT_BREAKER_TIMEOUT, breakerTimeout);
        if (pollerId == null || pollerId.isBlank()) {
            throw new ConfigException(POLLER_ID + " must not be blank");
        }
        if (managementPort < 0 || managementPort > 65535) {
            throw new ConfigException(POLLER_MANAGEMENT_PORT + " must be 0-65535 but was " + managementPort);
        }
        if (resourceMetrics == null) {
            throw new ConfigException(POLLER_RESOURCE_METRICS + " must be process or container");
        }
        if (maxInFlight < 1 || maxInFlight > MAX_IN_FLIGHT_LIMIT) {
            throw new ConfigException(POLLER_MAX_IN_FLIGHT + " must be 1-" + MAX_IN_FLIGHT_LIMIT + " but was "
                    + maxInFlight);
        }
        Env.requireAtLeast(POLLER_MAX_RESPONSE_BYTES, maxResponseBytes, 1024);
        Env.requireAtLeast(POLLER_TOMBSTONE_AFTER, tombstoneAfter, 1);
        if (electionGroup == null || electionGroup.isBlank()) {
            throw new ConfigException(POLLER_ELECTION_GROUP + " must not be blank");
        }
        if (transactionalId == null || transactionalId.isBlank()) {
            throw new ConfigException(POLLER_TRANSACTIONAL_ID + " must not be blank");
        }
        Env.requirePositive(POLLER_ELECTION_SESSION_TIMEOUT, electionSessionTimeout);
        if (electionSessionTimeout.toMillis() < 2000 || electionSessionTimeout.toMillis() > 60_000) {
            throw new ConfigException(POLLER_ELECTION_SESSION_TIMEOUT + " must be 2s-60s but was "
                    + electionSessionTimeout);
        }
        Env.requireAtLeast(POLLER_SNAPSHOTS_PARTITIONS, snapshotPartitions, 1);
        Env.requirePositive(POLLER_SNAPSHOTS_RETENTION, snapshotRetention);
    }

    public static PollerConfig fromEnv(Map<String, String> variables) {
        Env env = new Env(variables);
        Duration interval = env.duration(METRICS_POLL_INTERVAL, Duration.ofSeconds(15));
        return new PollerConfig(
                parseUrl(env.required(PROMETHEUS_URL)),
                PrometheusAuth.fromEnv(env),
                KafkaClientSettings.fromEnv(env),
                env.string(POLLER_BIND_HOST, DEFAULT_BIND_HOST),
                interval,
                env.duration(POLLER_INGESTION_DELAY, Duration.ofSeconds(2)),
                env.duration(POLLER_DISCOVERY_INTERVAL, Duration.ofSeconds(30)),
                env.duration(POLLER_QUERY_TIMEOUT, Duration.ofSeconds(30)),
                env.integer(CIRCUIT_BREAKER_THRESHOLD, 5),
                env.duration(CIRCUIT_BREAKER_TIMEOUT, Duration.ofSeconds(60)),
                env.string(POLLER_ID, defaultPollerId(variables)),
                Optional.ofNullable(env.string(POLLER_QUERIES_FILE, null)),
                env.integer(POLLER_MANAGEMENT_PORT, 0),
                resourceMode(env.string(POLLER_RESOURCE_METRICS, ResourceMode.PROCESS.configName())),
                env.integer(POLLER_MAX_IN_FLIGHT, 4),
                env.integer(POLLER_MAX_RESPONSE_BYTES, 32 * 1024 * 1024),
                env.integer(POLLER_TOMBSTONE_AFTER, 3),
                Optional.ofNullable(env.string(POLLER_INVENTORY_FILE, null)),
                env.flag(POLLER_ELECTION, true),
                env.string(POLLER_ELECTION_GROUP, "dbmetrics-poller"),
                env.string(POLLER_TRANSACTIONAL_ID, "dbmetrics-poller"),
                env.duration(POLLER_ELECTION_SESSION_TIMEOUT, Duration.ofSeconds(10)),
                env.integer(POLLER_SNAPSHOTS_PARTITIONS, 6),
                env.duration(POLLER_SNAPSHOTS_RETENTION, Duration.ofDays(7)));
    }

    private static ResourceMode resourceMode(String value) {
        return ResourceMode.fromConfigName(value).orElseThrow(() -> new ConfigException(POLLER_RESOURCE_METRICS
                + " must be process or container but was \"" + value + "\""));
    }

    /** Kafka's bootstrap servers, as {@link #kafka()} names them. */
    public String kafkaBootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** A query never runs past its interval: the effective timeout is the smaller of the two. */
    public Duration effectiveQueryTimeout() {
        Duration budget = pollInterval.minus(ingestionDelay);
        return queryTimeout.compareTo(budget) < 0 ? queryTimeout : budget;
    }

    private static URI parseUrl(String value) {
        URI uri;
        try {
            uri = URI.create(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(PROMETHEUS_URL + " must be an http(s) URL but could not be parsed");
        }
        if (uri.getRawUserInfo() != null) { // never repeated: it may hold a password
            throw new ConfigException(PROMETHEUS_URL + " must not carry credentials: set "
                    + PrometheusAuth.PROMETHEUS_USERNAME + " and " + PrometheusAuth.PROMETHEUS_PASSWORD_FILE);
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new ConfigException(PROMETHEUS_URL + " must be an http(s) URL but was " + value);
        }
        return uri;
    }

    private static String defaultPollerId(Map<String, String> variables) {
        String host = variables.getOrDefault("HOSTNAME", "");
        return host.isBlank() ? "poller-" + ProcessHandle.current().pid() : host;
    }
}

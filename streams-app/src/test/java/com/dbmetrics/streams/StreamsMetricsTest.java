package com.dbmetrics.streams;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.time.MutableClock;
import com.dbmetrics.streams.errors.DeadLetters;
import com.dbmetrics.streams.query.IqCounters;
import com.dbmetrics.streams.redis.RedisMirror;
import com.dbmetrics.streams.topology.TopologyCounters;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;

/**
 * What {@code /metrics} exposes, as Prometheus names it, from the binders of the classes that count; the client is
 * never started, Redis never reached.
 */
class StreamsMetricsTest {

    @TempDir
    Path stateDir;

    @Test
    void shouldExposeIqRequestsRestorationAndMirrorLagUnderTheirPrometheusNames() {
        IqCounters iq = new IqCounters();
        RestoreProgress restore = new RestoreProgress();
        try (JedisPooled redis = new JedisPooled(new HostAndPort("127.0.0.1", 9));
                RedisMirror mirror = new RedisMirror(redis, Json.newMapper(), Duration.ofSeconds(15),
                        Duration.ofMillis(10), 10, new MutableClock())) {
            KafkaStreams streams = UnstartedStreams.create("metrics-test", stateDir);
            try (StreamsMetrics registry = new StreamsMetrics(streams, new TopologyCounters(), new DeadLetters(),
                    mirror, iq, restore)) {
                for (int i = 0; i < 3; i++) {
                    iq.count(IqCounters.Query.SNAPSHOT, IqCounters.Outcome.FORWARDED);
                }
                restore.onRestoreStart(new TopicPartition("metrics-test-latest-changelog", 0), "latest", 10, 110);
                restore.onBatchRestored(new TopicPartition("metrics-test-latest-changelog", 0), "latest", 59, 50);

                String scrape = registry.scrape();

                assertThat(scrape.lines()).contains(
                        "dbm_streams_iq_requests_total{outcome=\"forwarded\",query=\"snapshot\"} 3.0",
                        "dbm_streams_iq_requests_total{outcome=\"local\",query=\"snapshot\"} 0.0",
                        "dbm_streams_iq_requests_total{outcome=\"gathered\",query=\"project\"} 0.0",
                        "dbm_streams_iq_requests_total{outcome=\"unavailable\",query=\"poller_status\"} 0.0",
                        "dbm_streams_restore_remaining_records 50.0",
                        "dbm_streams_restoring_partitions 1.0",
                        "dbm_streams_restored_records_total 50.0",
                        "dbm_streams_mirror_lag_seconds 0.0",
                        "dbm_streams_mirror_backlog 0.0",
                        "dbm_streams_mirror_written_total 0.0",
                        "dbm_streams_snapshots_accepted_total 0.0",
                        "dbm_streams_dead_letters_total 0.0",
                        "dbm_streams_running 0.0");
                assertThat(scrape).doesNotContain("outcome=\"gathered\",query=\"snapshot\"")
                        .doesNotContain("outcome=\"not_found\",query=\"poller_status\"");
            } finally {
                streams.close(Duration.ofSeconds(10));
            }
        }
    }
}

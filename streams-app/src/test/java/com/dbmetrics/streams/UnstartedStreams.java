package com.dbmetrics.streams;

import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.dbmetrics.schemas.PollerStatus;
import com.dbmetrics.streams.topology.MetricsTopology;
import com.dbmetrics.streams.topology.MirrorTarget;
import com.dbmetrics.streams.topology.TopologyCounters;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/** A Kafka Streams client of the production topology that is never started: no broker, no Redis, no mirror. */
public final class UnstartedStreams {

    private static final MirrorTarget NO_MIRROR = new MirrorTarget() {
        @Override
        public void snapshot(MetricsSnapshot snapshot, byte[] json) {}

        @Override
        public void tombstone(String databaseId, long eventMillis) {}

        @Override
        public void pollerStatus(PollerStatus status) {}
    };

    private UnstartedStreams() {}

    public static KafkaStreams create(String applicationId, Path stateDir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9"); // never started: never connects
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        return new KafkaStreams(MetricsTopology.build(MetricsTopology.TopicNames.DEFAULT, Json.newMapper(), NO_MIRROR,
                new TopologyCounters()), props);
    }
}

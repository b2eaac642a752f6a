package com.dbmetrics.poller.publish;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.config.Env;
import com.dbmetrics.schemas.config.KafkaClientSettings;
import com.dbmetrics.schemas.testing.TestServices;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Missing topics are created with their partitions and retention on the real broker; existing ones are left alone. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TopicBootstrapIT {

    @Test
    void shouldCreateMissingTopicsWithTheirSettingsOnceAndOnlyOnce() throws Exception {
        // a unique topic name, which no app's ACLs name: as the Kafka admin
        KafkaClientSettings kafka = KafkaClientSettings.fromEnv(new Env(TestServices.kafkaEnv(TestServices.KAFKA_ADMIN)));
        String name = "bootstrap-it-" + UUID.randomUUID();
        List<NewTopic> wanted = List.of(new NewTopic(name, 3, (short) -1).configs(Map.of("cleanup.policy", "delete",
                "retention.ms", Long.toString(Duration.ofHours(5).toMillis()))));

        assertThat(TopicBootstrap.ensure(kafka, wanted)).containsExactly(name);
        assertThat(TopicBootstrap.ensure(kafka, wanted)).isEmpty();

        try (Admin admin = Admin.create(kafka.clientProperties())) {
            assertThat(admin.describeTopics(List.of(name)).allTopicNames().get().get(name).partitions()).hasSize(3);
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, name);
            assertThat(admin.describeConfigs(List.of(resource)).all().get().get(resource).get("retention.ms").value())
                    .isEqualTo("18000000");
        }
    }

    @Test
    void shouldDescribeThePollersTopicsAsTheContractSays() {
        List<NewTopic> topics = TopicBootstrap.topics(6, Duration.ofDays(7));
        assertThat(topics).extracting(NewTopic::name)
                .containsExactly("dbmetrics.snapshots.v1", "dbmetrics.poller-status.v1", "dbmetrics.poller-election.v1");
        assertThat(topics.get(0).numPartitions()).isEqualTo(6);
        assertThat(topics.get(0).configs()).containsEntry("retention.ms", "604800000");
        assertThat(topics.get(1).configs()).containsEntry("cleanup.policy", "compact");
    }
}

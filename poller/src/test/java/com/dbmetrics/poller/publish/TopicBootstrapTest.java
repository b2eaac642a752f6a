package com.dbmetrics.poller.publish;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.poller.publish.TopicBootstrap.Report;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

/** An existing topic against its definition: partitions and cleanup policy are checked, the rest may be tuned. */
class TopicBootstrapTest {

    private final NewTopic latest = new NewTopic("latest", 6, (short) 1).configs(Map.of("cleanup.policy", "compact"));

    @Test
    void shouldReportATopicAsDefinedWhenPartitionsAndPolicyMatch() {
        Report report = TopicBootstrap.compare(latest, 6, Map.of("cleanup.policy", "compact"));

        assertThat(report.outcome()).isEqualTo(Report.Outcome.EXISTS);
        assertThat(report.line()).isEqualTo("latest: exists (6 partitions, cleanup.policy=compact)");
    }

    @Test
    void shouldReportEveryDifferenceOfPartitionsAndPolicy() {
        Report report = TopicBootstrap.compare(latest, 3, Map.of("cleanup.policy", "delete"));

        assertThat(report.outcome()).isEqualTo(Report.Outcome.DIFFERS);
        assertThat(report.line()).isEqualTo("latest: differs (3 partitions where the definition has 6; "
                + "cleanup.policy=delete where the definition has compact)");
    }

    @Test
    void shouldNotCheckThePolicyOfATopicWhoseDefinitionNamesNone() {
        NewTopic election = new NewTopic("election", 1, (short) 1);

        assertThat(TopicBootstrap.compare(election, 1, Map.of("cleanup.policy", "compact")).outcome())
                .isEqualTo(Report.Outcome.EXISTS);
    }
}

package com.dbmetrics.streams.errors;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.junit.jupiter.api.Test;

class DeadLetterHandlerTest {

    @Test
    void shouldCountEveryDeadLetterInTheCounterTheAppConfigured() {
        DeadLetters deadLetters = new DeadLetters();
        DeadLetterHandler handler = new DeadLetterHandler();
        handler.configure(Map.of(DeadLetterHandler.DLQ_TOPIC_CONFIG, "it-dlq", DeadLetters.CONFIG, deadLetters));
        byte[] key = "db-1".getBytes(StandardCharsets.UTF_8);
        byte[] value = "garbage{".getBytes(StandardCharsets.UTF_8);
        ConsumerRecord<byte[], byte[]> poison = new ConsumerRecord<>("it-snapshots", 2, 41L, 1_000L,
                TimestampType.CREATE_TIME, key.length, value.length, key, value, new RecordHeaders(), Optional.empty());

        DeserializationExceptionHandler.Response response = handler.handleError(null, poison,
                new IllegalArgumentException("Invalid MetricsSnapshot\nat line 1"));

        assertThat(deadLetters.count()).isEqualTo(1);
        assertThat(response.deadLetterQueueRecords()).hasSize(1);
        ProducerRecord<byte[], byte[]> dead = response.deadLetterQueueRecords().get(0);
        assertThat(dead.topic()).isEqualTo("it-dlq");
        assertThat(new String(dead.headers().lastHeader(Topics.HEADER_ERROR).value(), StandardCharsets.UTF_8))
                .isEqualTo("Invalid MetricsSnapshot");
        assertThat(new String(dead.headers().lastHeader(Topics.HEADER_SOURCE_OFFSET).value(), StandardCharsets.UTF_8))
                .isEqualTo("41");
    }
}

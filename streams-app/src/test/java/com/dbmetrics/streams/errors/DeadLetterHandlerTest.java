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
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
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

    @Test
    void shouldFailTheThreadForTheFirstTriesOfAFailingRecordThenDeadLetterItsSourceBytes() {
        DeadLetters deadLetters = new DeadLetters();
        DeadLetterHandler handler = new DeadLetterHandler();
        handler.configure(Map.of(DeadLetterHandler.DLQ_TOPIC_CONFIG, "it-dlq", DeadLetters.CONFIG, deadLetters));
        ErrorHandlerContext poison = context("it-snapshots", 3, 77L, "db-9", "{\"schema_version\":1}");
        Record<String, String> record = new Record<>("db-9", "parsed", 2_000L);
        IllegalStateException failure = new IllegalStateException("broken invariant");

        for (int i = 1; i < DeadLetterHandler.PROCESSING_TRIES; i++) {
            assertThat(handler.handleError(poison, record, failure).result())
                    .isEqualTo(ProcessingExceptionHandler.Result.FAIL);
            assertThat(deadLetters.count()).isZero();
        }
        // another record failing meanwhile has tries of its own
        assertThat(handler.handleError(context("it-snapshots", 3, 78L, "db-10", "{}"), record, failure).result())
                .isEqualTo(ProcessingExceptionHandler.Result.FAIL);
        ProcessingExceptionHandler.Response last = handler.handleError(poison, record, failure);

        assertThat(last.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
        assertThat(deadLetters.count()).isEqualTo(1);
        ProducerRecord<byte[], byte[]> dead = last.deadLetterQueueRecords().get(0);
        assertThat(dead.topic()).isEqualTo("it-dlq");
        assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo("db-9");
        assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("{\"schema_version\":1}");
        assertThat(new String(dead.headers().lastHeader(Topics.HEADER_ERROR).value(), StandardCharsets.UTF_8))
                .isEqualTo("processing failed 3 times: broken invariant");
        assertThat(new String(dead.headers().lastHeader(Topics.HEADER_SOURCE_PARTITION).value(),
                StandardCharsets.UTF_8)).isEqualTo("3");
        assertThat(new String(dead.headers().lastHeader("trace").value(), StandardCharsets.UTF_8)).isEqualTo("t-1");
    }

    private static ErrorHandlerContext context(String topic, int partition, long offset, String key, String value) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("trace", "t-1".getBytes(StandardCharsets.UTF_8));
        return new ErrorHandlerContext() {
            @Override
            public String topic() {
                return topic;
            }

            @Override
            public int partition() {
                return partition;
            }

            @Override
            public long offset() {
                return offset;
            }

            @Override
            public Headers headers() {
                return headers;
            }

            @Override
            public String processorNodeId() {
                return "mirror";
            }

            @Override
            public TaskId taskId() {
                return new TaskId(0, partition);
            }

            @Override
            public long timestamp() {
                return 2_000L;
            }

            @Override
            public byte[] sourceRawKey() {
                return key.getBytes(StandardCharsets.UTF_8);
            }

            @Override
            public byte[] sourceRawValue() {
                return value.getBytes(StandardCharsets.UTF_8);
            }
        };
    }
}

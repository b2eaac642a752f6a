package com.dbmetrics.streams.errors;

import com.dbmetrics.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a record that cannot be deserialised or breaks the schema to the dead-letter topic, with its original key,
 * bytes and headers plus {@code dbm-error}, {@code dbm-source-topic}, {@code dbm-source-partition} and
 * {@code dbm-source-offset}, and goes on. Under exactly-once the dead letter is written in the same transaction as the
 * offsets that skip it, so nothing is lost and nothing is dead-lettered twice.
 */
public final class DeadLetterHandler implements DeserializationExceptionHandler {

    /** Streams config key naming the dead-letter topic (default {@link Topics#SNAPSHOTS_DLQ}). */
    public static final String DLQ_TOPIC_CONFIG = "dbm.dlq.topic";

    private static final Logger log = LoggerFactory.getLogger(DeadLetterHandler.class);
    private static final int MAX_ERROR_CHARS = 500;

    private String topic = Topics.SNAPSHOTS_DLQ;
    /** The app's counter ({@link DeadLetters#CONFIG}); one of its own, seen by nobody, when none was configured. */
    private DeadLetters deadLetters = new DeadLetters();

    @Override
    public void configure(Map<String, ?> configs) {
        Object configured = configs.get(DLQ_TOPIC_CONFIG);
        if (configured != null) {
            topic = configured.toString();
        }
        if (configs.get(DeadLetters.CONFIG) instanceof DeadLetters counter) {
            deadLetters = counter;
        }
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record,
            Exception exception) {
        RecordHeaders headers = new RecordHeaders();
        for (Header header : record.headers()) {
            headers.add(header);
        }
        headers.add(Topics.HEADER_ERROR, utf8(describe(exception)));
        headers.add(Topics.HEADER_SOURCE_TOPIC, utf8(record.topic()));
        headers.add(Topics.HEADER_SOURCE_PARTITION, utf8(Integer.toString(record.partition())));
        headers.add(Topics.HEADER_SOURCE_OFFSET, utf8(Long.toString(record.offset())));
        deadLetters.increment();
        log.warn("Dead-lettering {}-{}@{} to {}: {}", record.topic(), record.partition(), record.offset(), topic,
                describe(exception));
        return Response.resume(List.of(new ProducerRecord<>(topic, null, record.timestamp(), record.key(),
                record.value(), headers)));
    }

    static String describe(Exception exception) {
        String message = exception.getMessage() == null ? exception.getClass().getSimpleName() : exception.getMessage();
        String line = message.lines().findFirst().orElse(message);
        return line.length() > MAX_ERROR_CHARS ? line.substring(0, MAX_ERROR_CHARS) : line;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

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
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a record that cannot be deserialised or breaks the schema to the dead-letter topic, with its original key,
 * bytes and headers plus {@code dbm-error}, {@code dbm-source-topic}, {@code dbm-source-partition} and
 * {@code dbm-source-offset}, and goes on. Under exactly-once the dead letter is written in the same transaction as the
 * offsets that skip it, so nothing is lost and nothing is dead-lettered twice.
 *
 * <p>Also the processing-exception handler: a record whose processing throws fails the stream thread (which the app
 * replaces, and which then reads the record again) until it has failed {@link #PROCESSING_TRIES} times; then it is
 * dead-lettered the same way (its source bytes) and processing goes on. A passing fault gets its retries; a record that
 * always fails no longer stops its partition for ever while the probes report healthy.
 */
public final class DeadLetterHandler implements DeserializationExceptionHandler, ProcessingExceptionHandler {

    /** Times a record may fail processing before it is dead-lettered. */
    public static final int PROCESSING_TRIES = 3;

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
    public DeserializationExceptionHandler.Response handleError(ErrorHandlerContext context,
            ConsumerRecord<byte[], byte[]> record, Exception exception) {
        return DeserializationExceptionHandler.Response.resume(List.of(deadLetter(record.topic(), record.partition(),
                record.offset(), record.timestamp(), record.key(), record.value(), record.headers(),
                describe(exception))));
    }

    @Override
    public ProcessingExceptionHandler.Response handleError(ErrorHandlerContext context, Record<?, ?> record,
            Exception exception) {
        int tries = deadLetters.failedProcessing(context.topic(), context.partition(), context.offset());
        if (tries < PROCESSING_TRIES) {
            log.warn("Processing {}-{}@{} failed (try {} of {}), the stream thread is replaced and reads it again: {}",
                    context.topic(), context.partition(), context.offset(), tries, PROCESSING_TRIES,
                    describe(exception));
            return ProcessingExceptionHandler.Response.fail();
        }
        ProducerRecord<byte[], byte[]> dead = deadLetter(context.topic(), context.partition(), context.offset(),
                context.timestamp(), context.sourceRawKey(), context.sourceRawValue(), context.headers(),
                "processing failed " + tries + " times: " + describe(exception));
        return ProcessingExceptionHandler.Response.resume(List.of(dead));
    }

    private ProducerRecord<byte[], byte[]> deadLetter(String sourceTopic, int partition, long offset, long timestamp,
            byte[] key, byte[] value, Iterable<Header> sourceHeaders, String error) {
        RecordHeaders headers = new RecordHeaders();
        for (Header header : sourceHeaders) {
            headers.add(header);
        }
        headers.add(Topics.HEADER_ERROR, utf8(error));
        headers.add(Topics.HEADER_SOURCE_TOPIC, utf8(String.valueOf(sourceTopic)));
        headers.add(Topics.HEADER_SOURCE_PARTITION, utf8(Integer.toString(partition)));
        headers.add(Topics.HEADER_SOURCE_OFFSET, utf8(Long.toString(offset)));
        deadLetters.increment();
        log.warn("Dead-lettering {}-{}@{} to {}: {}", sourceTopic, partition, offset, topic, error);
        return new ProducerRecord<>(topic, null, timestamp < 0 ? null : timestamp, key, value, headers);
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

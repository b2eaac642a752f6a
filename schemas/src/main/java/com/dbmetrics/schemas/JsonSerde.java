package com.dbmetrics.schemas;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for the wire records. Deserialising validates: bytes that are not JSON, or JSON that breaks the record's
 * invariants, raise {@link SerializationException} with the reason, so the caller can dead-letter the record. A null
 * payload (tombstone) is {@code null}.
 */
public final class JsonSerde<T> implements Serde<T>, Serializer<T>, Deserializer<T> {

    private final ObjectMapper mapper;
    private final Class<T> type;
    /**
     * The value this thread serialised last and its bytes. The streams-app writes one accepted snapshot to its store's
     * changelog, to the view topic and to Redis, one after the other on one stream thread: it is serialised once.
     * Sound because the records are immutable; compared by identity, so a cache hit is never a different value.
     */
    private final ThreadLocal<Object[]> lastWritten = ThreadLocal.withInitial(() -> new Object[2]);

    public JsonSerde(ObjectMapper mapper, Class<T> type) {
        this.mapper = mapper;
        this.type = type;
    }

    public static JsonSerde<MetricsSnapshot> snapshots(ObjectMapper mapper) {
        return new JsonSerde<>(mapper, MetricsSnapshot.class);
    }

    public static JsonSerde<PollerStatus> pollerStatus(ObjectMapper mapper) {
        return new JsonSerde<>(mapper, PollerStatus.class);
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        Object[] last = lastWritten.get();
        if (last[0] == data) {
            return (byte[]) last[1];
        }
        try {
            byte[] bytes = mapper.writeValueAsBytes(data);
            last[0] = data;
            last[1] = bytes;
            return bytes;
        } catch (IOException e) {
            throw new SerializationException("Cannot write " + type.getSimpleName() + " for topic " + topic, e);
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        try {
            return mapper.readValue(data, type);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("Invalid " + type.getSimpleName() + " on topic " + topic + ": "
                    + rootMessage(e), e);
        }
    }

    /** Parses without the Kafka wrapper, for HTTP and Redis payloads. */
    public T parse(byte[] data) throws IOException {
        try {
            return mapper.readValue(data, type);
        } catch (RuntimeException e) {
            throw new IOException("Invalid " + type.getSimpleName() + ": " + rootMessage(e), e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = t.getMessage();
        return message == null ? t.getClass().getSimpleName() : message.lines().findFirst().orElse(message);
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }

    @Override
    public void configure(java.util.Map<String, ?> configs, boolean isKey) {
        // configured through the constructor
    }

    @Override
    public void close() {
        // nothing to release
    }
}

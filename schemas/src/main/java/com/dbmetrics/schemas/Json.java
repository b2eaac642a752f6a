package com.dbmetrics.schemas;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;

/** The one Jackson configuration of the wire format: snake_case records, RFC 3339 UTC times, whole numbers as integers. */
public final class Json {

    private static final double MAX_EXACT_LONG = 9_007_199_254_740_992d; // 2^53

    private Json() {}

    /** A new mapper with the wire settings. Mappers are thread-safe: build one per process and share it. */
    public static ObjectMapper newMapper() {
        SimpleModule numbers = new SimpleModule("dbmetrics-numbers");
        numbers.addSerializer(Double.class, new WholeNumberSerializer());
        return JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .addModule(numbers)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                // Tolerant reader: a newer producer may add fields; the schema allows them at the top level.
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }

    /** Writes 1073741824.0 as {@code 1073741824}, so byte counts read as the integers they are. */
    private static final class WholeNumberSerializer extends JsonSerializer<Double> {
        @Override
        public void serialize(Double value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
            double v = value;
            if (v == Math.rint(v) && Math.abs(v) < MAX_EXACT_LONG) {
                gen.writeNumber((long) v);
            } else {
                gen.writeNumber(v);
            }
        }
    }
}

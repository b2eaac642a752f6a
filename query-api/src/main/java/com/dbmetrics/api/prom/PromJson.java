package com.dbmetrics.api.prom;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Writes Prometheus' JSON envelope as its own server does: sample values as strings ({@code "0.25"}, {@code "+Inf"},
 * {@code "NaN"}), times as Unix seconds with up to three decimals, label sets as objects.
 */
final class PromJson {

    private static final JsonFactory FACTORY = new JsonFactory();

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    private final JsonGenerator json;

    private PromJson() {
        try {
            json = FACTORY.createGenerator(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts {@code {"status":"success","data":}}; one data method, then {@link #end()}. */
    static PromJson success() {
        PromJson j = new PromJson();
        j.io(() -> {
            j.json.writeStartObject();
            j.json.writeStringField("status", "success");
            j.json.writeFieldName("data");
        });
        return j;
    }

    static byte[] error(String type, String message) {
        PromJson j = new PromJson();
        j.io(() -> {
            j.json.writeStartObject();
            j.json.writeStringField("status", "error");
            j.json.writeStringField("errorType", type);
            j.json.writeStringField("error", message);
            j.json.writeEndObject();
        });
        return j.bytes();
    }

    PromJson scalar(long millis, double value) {
        return io(() -> {
            json.writeStartObject();
            json.writeStringField("resultType", "scalar");
            json.writeFieldName("result");
            point(millis, value);
            json.writeEndObject();
        });
    }

    PromJson vector(long millis, List<PromEval.Sample> samples) {
        return io(() -> {
            json.writeStartObject();
            json.writeStringField("resultType", "vector");
            json.writeArrayFieldStart("result");
            for (PromEval.Sample sample : samples) {
                json.writeStartObject();
                json.writeFieldName("metric");
                labels(sample.labels());
                json.writeFieldName("value");
                point(millis, sample.value());
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        });
    }

    PromJson matrix(List<PromEval.RangeSeries> series) {
        return io(() -> {
            json.writeStartObject();
            json.writeStringField("resultType", "matrix");
            json.writeArrayFieldStart("result");
            for (PromEval.RangeSeries s : series) {
                json.writeStartObject();
                json.writeFieldName("metric");
                labels(s.labels());
                json.writeArrayFieldStart("values");
                for (PromEval.Point p : s.points()) {
                    point(p.millis(), p.value());
                }
                json.writeEndArray();
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        });
    }

    PromJson labelSets(Collection<Map<String, String>> sets) {
        return io(() -> {
            json.writeStartArray();
            for (Map<String, String> labels : sets) {
                labels(labels);
            }
            json.writeEndArray();
        });
    }

    PromJson strings(Collection<String> values) {
        return io(() -> {
            json.writeStartArray();
            for (String v : values) {
                json.writeString(v);
            }
            json.writeEndArray();
        });
    }

    PromJson metadata(Map<String, PromSeries.Described> described) {
        return io(() -> {
            json.writeStartObject();
            for (PromSeries.Described d : described.values()) {
                json.writeArrayFieldStart(d.name());
                json.writeStartObject();
                json.writeStringField("type", "gauge");
                json.writeStringField("help", d.help());
                json.writeStringField("unit", d.unit());
                json.writeEndObject();
                json.writeEndArray();
            }
            json.writeEndObject();
        });
    }

    PromJson buildInfo(String prometheusVersion, String version) {
        return io(() -> {
            json.writeStartObject();
            json.writeStringField("version", prometheusVersion);
            json.writeStringField("revision", "dbmetrics-" + version);
            json.writeStringField("branch", "");
            json.writeStringField("buildUser", "");
            json.writeStringField("buildDate", "");
            json.writeStringField("goVersion", "");
            json.writeEndObject();
        });
    }

    /** {@code {"<field>":[]}}, or {@code []} when {@code field} is null. */
    PromJson empty(String field) {
        return io(() -> {
            if (field == null) {
                json.writeStartArray();
                json.writeEndArray();
            } else {
                json.writeStartObject();
                json.writeArrayFieldStart(field);
                json.writeEndArray();
                json.writeEndObject();
            }
        });
    }

    byte[] end() {
        io(json::writeEndObject);
        return bytes();
    }

    private byte[] bytes() {
        io(json::close);
        return out.toByteArray();
    }

    private void labels(Map<String, String> labels) throws IOException {
        json.writeStartObject();
        for (Map.Entry<String, String> e : labels.entrySet()) {
            json.writeStringField(e.getKey(), e.getValue());
        }
        json.writeEndObject();
    }

    private void point(long millis, double value) throws IOException {
        json.writeStartArray();
        json.writeNumber(seconds(millis));
        json.writeString(value(value));
        json.writeEndArray();
    }

    /** Epoch ms as Unix seconds with the fraction's trailing zeros dropped ({@code 1700000000.5}, {@code 1700000000}). */
    static String seconds(long millis) {
        if (millis < 0) {
            return BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
        }
        long whole = millis / 1000;
        int fraction = (int) (millis % 1000);
        if (fraction == 0) {
            return Long.toString(whole);
        }
        StringBuilder out = new StringBuilder(24).append(whole).append('.');
        int digits = fraction % 100 == 0 ? 1 : fraction % 10 == 0 ? 2 : 3;
        String padded = Integer.toString(1000 + fraction).substring(1); // three digits
        return out.append(padded, 0, digits).toString();
    }

    /** A sample value as Prometheus writes it (Go's shortest 'f' format). */
    static String value(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
    }

    @FunctionalInterface
    private interface Io {
        void run() throws IOException;
    }

    private PromJson io(Io step) {
        try {
            step.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing to memory: not expected
        }
        return this;
    }
}

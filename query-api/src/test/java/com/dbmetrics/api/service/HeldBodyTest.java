package com.dbmetrics.api.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class HeldBodyTest {

    @Test
    void shouldMakeTheGzipEncodingOnceAndDecodeToTheSameBytes() throws IOException {
        byte[] plain = "{\"points\":[{\"timestamp\":\"2026-12-04T10:00:00Z\",\"metrics\":{\"connections\":5}}]}"
                .repeat(40).getBytes(StandardCharsets.UTF_8);
        HeldBody body = new HeldBody(plain);
        assertThat(body.compressible()).isTrue();
        byte[] gzip = body.gzip();
        assertThat(body.gzip()).isSameAs(gzip); // made once, then held
        assertThat(gzip.length).isLessThan(plain.length / 4);
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
            assertThat(in.readAllBytes()).isEqualTo(plain);
        }
    }

    @Test
    void shouldSendSmallBodiesAsTheyAreAsJavalinsCompressionDoes() {
        // the API writes bodies under this past Javalin's compression wrapper (http.Answers): the same line as its own
        assertThat(io.javalin.compression.CompressionStrategy.GZIP.getDefaultMinSizeForCompression())
                .isEqualTo(HeldBody.MIN_GZIP_BYTES);
        assertThat(new HeldBody(new byte[HeldBody.MIN_GZIP_BYTES - 1]).compressible()).isFalse();
        assertThat(new HeldBody(new byte[HeldBody.MIN_GZIP_BYTES]).compressible()).isTrue();
    }

    @Test
    void shouldReadAcceptEncodingAsRfc9110Says() {
        assertThat(HeldBody.acceptsGzip("gzip, deflate, br")).isTrue(); // browsers
        assertThat(HeldBody.acceptsGzip("gzip")).isTrue(); // Go's transport (Grafana, promtool)
        assertThat(HeldBody.acceptsGzip("br;q=1.0, GZIP;q=0.5")).isTrue();
        assertThat(HeldBody.acceptsGzip("x-gzip")).isTrue();
        assertThat(HeldBody.acceptsGzip("*")).isTrue();
        assertThat(HeldBody.acceptsGzip("gzip;q=0")).isFalse();
        assertThat(HeldBody.acceptsGzip("gzip; q=0.000, *")).isFalse(); // gzip refused by name, whatever * says
        assertThat(HeldBody.acceptsGzip("*;q=0")).isFalse();
        assertThat(HeldBody.acceptsGzip("gzip;q=abc")).isFalse();
        assertThat(HeldBody.acceptsGzip("identity")).isFalse();
        assertThat(HeldBody.acceptsGzip("br, deflate")).isFalse();
        assertThat(HeldBody.acceptsGzip("")).isFalse();
        assertThat(HeldBody.acceptsGzip(null)).isFalse();
    }
}

package com.dbmetrics.poller.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dbmetrics.schemas.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrometheusClientParseTest {

    private final PrometheusClient client = new PrometheusClient(HttpClient.newHttpClient(),
            URI.create("http://127.0.0.1:1"), Json.newMapper(), Duration.ofSeconds(1));

    private List<Sample> parse(int status, String body) throws PrometheusException {
        return client.parse(status, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldParseInstantVector() throws Exception {
        List<Sample> samples = parse(200, """
                {"status":"success","data":{"resultType":"vector","result":[
                  {"metric":{"database_id":"pg-1"},"value":[1732530600.000,"42"]},
                  {"metric":{"database_id":"pg-2"},"value":[1732530600.000,"0.25"]}]}}""");

        assertThat(samples).extracting(s -> s.label("database_id")).containsExactly("pg-1", "pg-2");
        assertThat(samples).extracting(Sample::value).containsExactly(42.0, 0.25);
    }

    @Test
    void shouldTreatEmptyVectorAsNoData() throws Exception {
        assertThat(parse(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}")).isEmpty();
    }

    @Test
    void shouldRefuseEveryMalformedAnswer() {
        assertKind(200, "<html>proxy error</html>", PrometheusException.Kind.MALFORMED);
        assertKind(502, "Bad Gateway", PrometheusException.Kind.HTTP_ERROR);
        assertKind(200, "[]", PrometheusException.Kind.MALFORMED);
        assertKind(400, "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}",
                PrometheusException.Kind.QUERY_ERROR);
        assertKind(503, "{\"status\":\"error\",\"errorType\":\"unavailable\",\"error\":\"x\"}",
                PrometheusException.Kind.HTTP_ERROR);
        assertKind(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}",
                PrometheusException.Kind.WRONG_TYPE);
        assertKind(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
                + "\"value\":[1,2]}]}}", PrometheusException.Kind.MALFORMED);
        assertKind(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
                + "\"value\":[1,\"forty\"]}]}}", PrometheusException.Kind.MALFORMED);
    }

    @Test
    void shouldParseSpecialValuesSoTheCycleCanRefuseThem() throws Exception {
        List<Sample> samples = parse(200, """
                {"status":"success","data":{"resultType":"vector","result":[
                  {"metric":{"database_id":"a"},"value":[1,"NaN"]},
                  {"metric":{"database_id":"b"},"value":[1,"+Inf"]},
                  {"metric":{"database_id":"c"},"value":[1,"-Inf"]}]}}""");

        assertThat(samples).extracting(Sample::value)
                .containsExactly(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
    }

    @Test
    void shouldCountUnparsableBodiesButNotRefusedQueriesAsOutages() {
        assertThat(PrometheusException.Kind.MALFORMED.isOutage()).isTrue();
        assertThat(PrometheusException.Kind.HTTP_ERROR.isOutage()).isTrue();
        assertThat(PrometheusException.Kind.QUERY_ERROR.isOutage()).isFalse();
        assertThat(PrometheusException.Kind.WRONG_TYPE.isOutage()).isFalse();
        assertThat(PrometheusException.Kind.OVERSIZED.isOutage()).isFalse();
    }

    @Test
    void shouldFormatEvaluationTimeWithMillis() {
        assertThat(PrometheusClient.formatTime(Instant.parse("1970-01-01T00:01:05.007Z"))).isEqualTo("65.007");
    }

    @Test
    void shouldReportUnreachablePrometheusAsOutage() {
        assertThatThrownBy(() -> client.query("up", Instant.now()))
                .isInstanceOfSatisfying(PrometheusException.class, e -> assertThat(e.kind().isOutage()).isTrue());
    }

    private void assertKind(int status, String body, PrometheusException.Kind kind) {
        assertThatThrownBy(() -> parse(status, body)).as(body)
                .isInstanceOfSatisfying(PrometheusException.class, e -> assertThat(e.kind()).isEqualTo(kind));
    }
}

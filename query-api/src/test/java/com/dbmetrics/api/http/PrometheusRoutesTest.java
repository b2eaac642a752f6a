package com.dbmetrics.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class PrometheusRoutesTest {

    private static String basic(String userAndPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userAndPassword.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldTakeTheBasicAuthPasswordAsTheBearerToken() {
        assertThat(PrometheusRoutes.bearer(basic("grafana:eyJ.a.b"))).isEqualTo("Bearer eyJ.a.b");
        assertThat(PrometheusRoutes.bearer(basic(":eyJ.a.b"))).isEqualTo("Bearer eyJ.a.b");
        assertThat(PrometheusRoutes.bearer("basic " + basic("x:t").substring(6))).isEqualTo("Bearer t");
        assertThat(PrometheusRoutes.bearer("Bearer eyJ.a.b")).isEqualTo("Bearer eyJ.a.b");
        assertThat(PrometheusRoutes.bearer(null)).isNull();
    }

    @Test
    void shouldTurnMalformedBasicCredentialsIntoAnEmptyBearerTheAuthenticatorRejects() {
        assertThat(PrometheusRoutes.bearer("Basic %%%not-base64")).isEqualTo("Bearer ");
        assertThat(PrometheusRoutes.bearer(basic("no-colon"))).isEqualTo("Bearer ");
    }

    @Test
    void shouldFindTheLabelOfALabelValuesPath() {
        assertThat(PrometheusRoutes.labelOfValues("label/database_id/values")).isEqualTo("database_id");
        assertThat(PrometheusRoutes.labelOfValues("label/__name__/values")).isEqualTo("__name__");
        assertThat(PrometheusRoutes.labelOfValues("label//values")).isNull();
        assertThat(PrometheusRoutes.labelOfValues("label/a/b/values")).isNull();
        assertThat(PrometheusRoutes.labelOfValues("labels")).isNull();
    }
}

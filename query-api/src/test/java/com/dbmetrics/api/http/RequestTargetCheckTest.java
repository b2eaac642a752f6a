package com.dbmetrics.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestTargetCheckTest {

    @Test
    void shouldAcceptWellFormedQueries() {
        assertThat(RequestTargetCheck.decodes("limit=10&cursor=db-1")).isTrue();
        assertThat(RequestTargetCheck.decodes("fields=cpu_usage%2Cconnections")).isTrue();
        assertThat(RequestTargetCheck.decodes("q=%C3%A9")).isTrue();
    }

    @Test
    void shouldRefuseBadEscapesAndInvalidUtf8() {
        assertThat(RequestTargetCheck.decodes("limit=%")).isFalse();
        assertThat(RequestTargetCheck.decodes("limit=%zz")).isFalse();
        assertThat(RequestTargetCheck.decodes("limit=%ae!")).isFalse(); // a lone continuation byte
        assertThat(RequestTargetCheck.decodes("limit=\u00e9")).isFalse(); // raw non-ASCII
        assertThat(RequestTargetCheck.decodes("/api/v1/domain/a/project/b/databases/x]%]%42/metrics")).isFalse();
    }
}

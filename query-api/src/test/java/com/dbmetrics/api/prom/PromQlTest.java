package com.dbmetrics.api.prom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PromQlTest {

    @Test
    void shouldParseSelectorsWithEveryMatcherKind() {
        PromQl.Selector s = (PromQl.Selector) PromQl.parse(
                "dbmetrics_connections{project=\"shop\", engine!='redis', database_id=~\"db-[0-9]+\",domain!~`x.*`,}");
        assertThat(s.matchers()).extracting(PromQl.Matcher::label, PromQl.Matcher::op, PromQl.Matcher::value)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("__name__", PromQl.MatchOp.EQ, "dbmetrics_connections"),
                        org.assertj.core.groups.Tuple.tuple("project", PromQl.MatchOp.EQ, "shop"),
                        org.assertj.core.groups.Tuple.tuple("engine", PromQl.MatchOp.NE, "redis"),
                        org.assertj.core.groups.Tuple.tuple("database_id", PromQl.MatchOp.RE, "db-[0-9]+"),
                        org.assertj.core.groups.Tuple.tuple("domain", PromQl.MatchOp.NRE, "x.*"));
        assertThat(s.matchers().get(3).matches("db-12")).isTrue();
        assertThat(s.matchers().get(3).matches("xdb-12")).as("anchored").isFalse();
        assertThat(s.matchers().get(4).matches("acme")).isTrue();
    }

    @Test
    void shouldParseNameMatchersAndEscapes() {
        PromQl.Selector s = (PromQl.Selector) PromQl.parse("{__name__=~\"dbmetrics_.*_bytes\", database_name=\"a\\\"b\"}");
        assertThat(s.matchers().get(0).matches("dbmetrics_storage_size_bytes")).isTrue();
        assertThat(s.matchers().get(1).value()).isEqualTo("a\"b");
    }

    @Test
    void shouldEvaluateGrafanasProbeAndLiterals() {
        assertThat(Eval.eval(PromQl.parse("1+1"), List.of())).isEqualTo(new PromEval.Scalar(2));
        assertThat(Eval.eval(PromQl.parse("2 * (3 - 1) / 4"), List.of())).isEqualTo(new PromEval.Scalar(1));
        assertThat(Eval.eval(PromQl.parse("-1.5e1"), List.of())).isEqualTo(new PromEval.Scalar(-15));
        assertThat(Eval.eval(PromQl.parse("1/0"), List.of()))
                .isEqualTo(new PromEval.Scalar(Double.POSITIVE_INFINITY));
    }

    @Test
    void shouldParseAggregationsInBothOrders() {
        PromQl.Aggregation a = (PromQl.Aggregation) PromQl.parse("sum by (project, engine) (dbmetrics_connections)");
        PromQl.Aggregation b = (PromQl.Aggregation) PromQl.parse("avg(dbmetrics_connections{domain=\"acme\"}) without (database_id)");
        PromQl.Aggregation c = (PromQl.Aggregation) PromQl.parse("count(dbmetrics_cpu_usage)");
        assertThat(a.op()).isEqualTo("sum");
        assertThat(a.grouping()).containsExactly("project", "engine");
        assertThat(a.without()).isFalse();
        assertThat(b.without()).isTrue();
        assertThat(b.grouping()).containsExactly("database_id");
        assertThat(c.grouping()).isEmpty();
    }

    @Test
    void shouldRefuseWhatItDoesNotSupportSayingWhatItDoes() {
        for (String q : List.of("rate(dbmetrics_connections[5m])", "dbmetrics_connections[5m]",
                "dbmetrics_connections offset 5m", "dbmetrics_connections + 1", "topk(3, dbmetrics_connections)",
                "sum(1)", "{}", "{project=\"\"}", "dbmetrics_connections{project=\"a\"", "dbmetrics_connections{project=a}",
                "", "  ", "dbmetrics_connections and dbmetrics_cpu_usage", "5m", "{database_id=~\"(\"}")) {
            assertThatThrownBy(() -> PromQl.parse(q)).as(q).isInstanceOf(PromError.BadData.class)
                    .hasMessageNotContaining("Exception");
        }
        assertThatThrownBy(() -> PromQl.parse("rate(x[5m])")).hasMessageContaining("supported: vector selectors");
        assertThatThrownBy(() -> PromQl.parse("x".repeat(5000))).isInstanceOf(PromError.BadData.class);
    }

    @Test
    void shouldTakeOnlySelectorsAsSeriesMatchers() {
        assertThat(PromQl.parseSelector("dbmetrics_connections").matchers()).hasSize(1);
        assertThatThrownBy(() -> PromQl.parseSelector("1+1")).isInstanceOf(PromError.BadData.class);
        assertThatThrownBy(() -> PromQl.parseSelector("sum(dbmetrics_connections)"))
                .isInstanceOf(PromError.BadData.class);
    }

    @Test
    void shouldBoundNestingAndRegularExpressionWork() {
        assertThatThrownBy(() -> PromQl.parse("(".repeat(2000) + "1" + ")".repeat(2000)))
                .isInstanceOf(PromError.BadData.class).hasMessageContaining("nested");
        assertThatThrownBy(() -> PromQl.parse("-".repeat(2000) + "1")).isInstanceOf(PromError.BadData.class);
        assertThat(Eval.eval(PromQl.parse("((1))"), List.of())).isEqualTo(new PromEval.Scalar(1));
        PromQl.Selector evil = (PromQl.Selector) PromQl.parse("{database_name=~\"(.*a){20}\"}");
        assertThatThrownBy(() -> evil.matchers().get(0).matches("a".repeat(40)))
                .isInstanceOf(PromError.BadData.class).hasMessageContaining("too expensive");
    }
}

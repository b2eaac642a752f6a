package com.dbmetrics.bench;

import com.dbmetrics.poller.catalogue.EngineCatalogue;
import com.dbmetrics.schemas.Metric;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A view is one database's dashboard read straight from Prometheus: the instant queries of its engine in the poller's
 * own catalogue (five: cpu, memory, operations/s, connections, storage), sent at once on five connections as the
 * prior design's "concurrent query execution" did; the view is answered when the last of the five is. Database chosen
 * by the same Zipf popularity as the API reads.
 *
 * <p>Scope {@code database} (default) narrows every series selector of each catalogue query to the one database
 * ({@code metric{database_id="X",...}}), which is what a dashboard of one database asks; scope {@code engine} sends the
 * catalogue queries verbatim (every database of the engine, as the poller's batched query does).
 */
final class PrometheusViews implements Workload {

    /** PromQL words that are not metric names. */
    private static final Set<String> KEYWORDS = Set.of("sum", "min", "max", "avg", "group", "stddev", "stdvar",
            "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio", "by", "without", "on",
            "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan");
    /** Keywords followed by a parenthesised list of label names. */
    private static final Set<String> LABEL_LISTS = Set.of("by", "without", "on", "ignoring", "group_left",
            "group_right");

    private final ReadTargets targets;
    private final byte[][][] requests;
    private final String scope;

    PrometheusViews(ReadTargets targets, EngineCatalogue catalogue, String hostPort, String scope) {
        if (!scope.equals("database") && !scope.equals("engine")) {
            throw new IllegalArgumentException("--promql-scope must be database or engine but was " + scope);
        }
        this.targets = targets;
        this.scope = scope;
        List<ReadTargets.Database> dbs = targets.databases();
        requests = new byte[dbs.size()][][];
        for (int i = 0; i < dbs.size(); i++) {
            ReadTargets.Database db = dbs.get(i);
            Map<Metric, String> queries = catalogue.queries(db.engine()).orElseThrow(() ->
                    new IllegalArgumentException("the engine catalogue has no engine " + db.engine() + " (" + db.id()
                            + ")"));
            requests[i] = new byte[queries.size()][];
            int q = 0;
            for (String promql : queries.values()) {
                String expr = scope.equals("database") ? withMatcher(promql, "database_id", db.id()) : promql;
                requests[i][q++] = ("GET /api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8)
                        + " HTTP/1.1\r\nHost: " + hostPort + "\r\nUser-Agent: dbm-open-loop\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
            }
        }
    }

    @Override
    public byte[][] next(SplittableRandom random) {
        return requests[targets.pick(random)];
    }

    @Override
    public String describe() {
        return "the engine catalogue's instant queries of one database (" + requests[0].length + " for "
                + targets.databases().get(0).engine() + "), sent at once on separate connections, done when the last "
                + "is answered; PromQL scope " + scope;
    }

    /**
     * Adds {@code label="value"} to every series selector of a PromQL expression: {@code m} becomes
     * {@code m{label="value"}}, {@code m{a="b"}} becomes {@code m{label="value",a="b"}}. Strings, label lists after
     * {@code by}/{@code on}/... and range brackets are left alone; a word followed by {@code (} is a function.
     */
    static String withMatcher(String expr, String label, String value) {
        String matcher = label + "=\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        StringBuilder out = new StringBuilder(expr.length() + 64);
        int i = 0;
        while (i < expr.length()) {
            char c = expr.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                int end = endOfString(expr, i);
                out.append(expr, i, end);
                i = end;
            } else if (c == '[') {
                int end = expr.indexOf(']', i) + 1;
                out.append(expr, i, end);
                i = end;
            } else if (c == '{') { // a selector without a metric name
                int end = endOfBraces(expr, i);
                out.append('{').append(matcher).append(',').append(expr, i + 1, end);
                i = end;
            } else if (Character.isDigit(c) || c == '.') {
                int end = i;
                while (end < expr.length() && (Character.isLetterOrDigit(expr.charAt(end)) || expr.charAt(end) == '.'
                        || expr.charAt(end) == '_')) {
                    end++;
                }
                out.append(expr, i, end);
                i = end;
            } else if (Character.isLetter(c) || c == '_' || c == ':') {
                int end = i;
                while (end < expr.length() && (Character.isLetterOrDigit(expr.charAt(end)) || expr.charAt(end) == '_'
                        || expr.charAt(end) == ':')) {
                    end++;
                }
                String word = expr.substring(i, end);
                int next = end;
                while (next < expr.length() && Character.isWhitespace(expr.charAt(next))) {
                    next++;
                }
                char following = next < expr.length() ? expr.charAt(next) : 0;
                out.append(word);
                i = end;
                if (LABEL_LISTS.contains(word) && following == '(') {
                    int close = expr.indexOf(')', next) + 1;
                    out.append(expr, end, close);
                    i = close;
                } else if (KEYWORDS.contains(word.toLowerCase(Locale.ROOT)) || following == '(') {
                    continue; // aggregation, operator or function
                } else if (following == '{') {
                    int close = endOfBraces(expr, next);
                    out.append(expr, end, next + 1).append(matcher).append(',').append(expr, next + 1, close);
                    i = close;
                } else {
                    out.append('{').append(matcher).append('}');
                }
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** The index after the {@code }} closing the matchers that open at {@code open}. */
    private static int endOfBraces(String expr, int open) {
        int i = open + 1;
        while (i < expr.length() && expr.charAt(i) != '}') {
            char c = expr.charAt(i);
            i = c == '"' || c == '\'' || c == '`' ? endOfString(expr, i) : i + 1;
        }
        return Math.min(i + 1, expr.length());
    }

    private static int endOfString(String expr, int start) {
        char quote = expr.charAt(start);
        int i = start + 1;
        while (i < expr.length() && expr.charAt(i) != quote) {
            i += expr.charAt(i) == '\\' && quote != '`' ? 2 : 1;
        }
        return Math.min(i + 1, expr.length());
    }
}

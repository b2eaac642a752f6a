package com.dbmetrics.bench;

import com.dbmetrics.poller.catalogue.EngineCatalogue;
import com.dbmetrics.poller.catalogue.ResourceMode;
import com.dbmetrics.schemas.Json;
import com.dbmetrics.schemas.Metric;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Prints, one per line, the Prometheus HTTP API paths of one database's dashboard view: the engine catalogue's instant
 * queries narrowed to that database (the same expressions {@link PrometheusViews} sends), for a closed-loop load tool.
 *
 * <pre>
 * java -cp benchmarks/target/dbmetrics-benchmarks.jar com.dbmetrics.bench.ViewQueries pg-demo-1 postgresql
 * java -cp benchmarks/target/dbmetrics-benchmarks.jar com.dbmetrics.bench.ViewQueries pg-demo-1 postgresql connections
 * </pre>
 * With a metric's name, prints that metric's expression alone (not a path).
 */
public final class ViewQueries {

    private ViewQueries() {}

    public static void main(String[] args) {
        String databaseId = args[0];
        String engine = args[1];
        EngineCatalogue catalogue = EngineCatalogue.builtIn(Json.newMapper(), ResourceMode.PROCESS);
        Map<Metric, String> queries = catalogue.queries(engine).orElseThrow(() ->
                new IllegalArgumentException("the engine catalogue has no engine " + engine));
        if (args.length > 2) { // one metric's expression as is, e.g. to join several databases' with `or`
            Metric metric = Metric.fromWireName(args[2]).orElseThrow(() ->
                    new IllegalArgumentException("no metric " + args[2]));
            System.out.println(PrometheusViews.withMatcher(queries.get(metric), "database_id", databaseId));
            return;
        }
        for (String promql : queries.values()) {
            String expr = PrometheusViews.withMatcher(promql, "database_id", databaseId);
            System.out.println("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
        }
    }
}

package com.dbmetrics.bench;

import com.dbmetrics.poller.catalogue.EngineCatalogue;
import com.dbmetrics.poller.catalogue.ResourceMode;
import com.dbmetrics.schemas.Json;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Open-loop load generator: views at a constant arrival rate, latency from each view's intended start (queueing in
 * the generator counts: no coordinated omission), recorded in an HdrHistogram.
 *
 * <pre>
 * ./dbm up --fleet 1000
 * mvn -B -q -o -pl benchmarks -am package -DskipTests
 * # the query API: one view = one authenticated read of a database's metrics
 * java -cp benchmarks/target/dbmetrics-benchmarks.jar com.dbmetrics.bench.OpenLoopLoad --url http://127.0.0.1:17080 \
 *      --rate 10000 --seconds 30 --warmup 10 --users 10000 --databases 1000 --secret-file .dbm/dev-jwt-secret \
 *      --connections 64
 * # Prometheus directly: one view = the engine catalogue's five instant queries of one database, sent concurrently
 * java -cp benchmarks/target/dbmetrics-benchmarks.jar com.dbmetrics.bench.OpenLoopLoad --target prometheus \
 *      --url http://127.0.0.1:17090 --rate 500 --seconds 30 --warmup 10 --databases 1000 --connections 64
 * </pre>
 *
 * Databases: the fleet of {@link FleetSimulator} ({@code fleet-<engine>-<i>}, {@code i < --databases}, domain
 * {@code --domain}, project {@code p(i % 100)}) or an explicit {@code --ids id:engine:domain/project,...}; each view
 * picks one by Zipf popularity (exponent {@code --zipf}, default 1: the most popular of 1,000 gets 13 % of reads, the
 * top 10 gets 39 %), ranks shuffled by {@code --seed}. API reads then pick a random user of that database's project
 * (user {@code u} belongs to project {@code u % projects}), each user with its own HS256 token signed with the secret
 * of {@code --secret-file}, issued at {@code --token-iat} (epoch seconds, default now; runs given the same value send
 * the same token for a user, as a dashboard session does, so a fresh API warmed up by one run meets the same tokens in
 * the next). The first {@code --warmup} seconds are sent but not counted.
 *
 * <p>Instead of one {@code --rate} for {@code --seconds}, {@code --phases rate:seconds,...} gives a schedule of rates
 * in order ({@link RateSchedule}: the arrival process runs on across phases, no gaps; the warm-up runs at the first
 * phase's rate): the run then also prints, before the result line, one {@code phase ...} line per phase and one
 * {@code second ...} line per measured second with offered, sent, 2xx ("ok"), 503 ("refused") and other errors, and
 * latency percentiles of the 2xx and of the 503 answers ({@link PhaseTally}); the result line then speaks of the whole
 * schedule ({@code rate} is its mean).
 *
 * <p>Prints a human summary and one line {@code result key=value ...}: p50/p90/p99/p99.9/max of view latency (2xx
 * views only), sent and answered rates, errors by kind (non-2xx by status, timeouts, connection errors), the share of
 * answers per {@code X-Cache} layer, and the generator's own lag (due time → picked up by the I/O thread). Exit status:
 * 0 valid; 2 not valid, the generator itself fell behind (its lag p99 exceeded {@code --max-lag-ms}: it did not
 * generate the rate); 3 valid but saturated: requests found no free connection, fewer than 99 % of the due requests
 * were sent within the window (the server, or too few {@code --connections}, could not take the rate; the latencies
 * include the wait). 1 for bad arguments or when the target cannot be reached at start.
 */
public final class OpenLoopLoad {

    private static final Map<String, String> DEFAULTS = defaults();

    private OpenLoopLoad() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> o = options(args);
        String target = o.get("--target");
        URI url = URI.create(o.get("--url"));
        String hostPort = url.getHost() + ":" + url.getPort();
        int warmup = Integer.parseInt(o.get("--warmup"));
        boolean phased = o.containsKey("--phases");
        RateSchedule schedule = phased ? RateSchedule.parse(o.get("--phases"), warmup)
                : RateSchedule.constant(positive(o, "--rate"), warmup, (int) positive(o, "--seconds"));
        double rate = phased ? schedule.meanRate() : positive(o, "--rate");
        int seconds = schedule.measuredSeconds();
        int connections = (int) positive(o, "--connections");
        long seed = Long.parseLong(o.get("--seed"));
        List<ReadTargets.Database> databases = o.containsKey("--ids") ? ReadTargets.parse(o.get("--ids"))
                : ReadTargets.fleet((int) positive(o, "--databases"), o.get("--domain"));
        int users = (int) positive(o, "--users");
        ReadTargets targets = new ReadTargets(databases, users, Double.parseDouble(o.get("--zipf")), seed);

        Workload workload;
        if (target.equals("api")) {
            String secret = Files.readString(Path.of(o.get("--secret-file"))).strip();
            long now = System.currentTimeMillis() / 1000;
            boolean fixedIat = !o.get("--token-iat").equals("now");
            long issuedAt = fixedIat ? Long.parseLong(o.get("--token-iat")) : now;
            // with a fixed issue time the tokens must outlive every run that shares it (within the API's 24 h maximum)
            long expires = fixedIat ? issuedAt + TimeUnit.HOURS.toSeconds(12) : now + warmup + seconds + 3600;
            if (expires <= now + warmup + seconds + 60) {
                throw new IllegalArgumentException("--token-iat " + issuedAt + " is too old: its tokens expire at "
                        + expires + ", before this run ends");
            }
            workload = new ApiReads(targets, hostPort, secret, o.get("--issuer"), issuedAt, expires);
        } else if (target.equals("prometheus")) {
            ResourceMode mode = ResourceMode.fromConfigName(o.get("--resource-metrics")).orElseThrow(() ->
                    new IllegalArgumentException("--resource-metrics must be process or container"));
            EngineCatalogue catalogue = o.containsKey("--queries-file")
                    ? EngineCatalogue.fromFile(Json.newMapper(), Path.of(o.get("--queries-file")), mode)
                    : EngineCatalogue.builtIn(Json.newMapper(), mode);
            workload = new PrometheusViews(targets, catalogue, hostPort, o.get("--promql-scope"));
        } else {
            throw new IllegalArgumentException("--target must be api or prometheus but was " + target);
        }

        OpenLoopRunner.Settings settings = new OpenLoopRunner.Settings(
                new InetSocketAddress(url.getHost(), url.getPort()), schedule, connections,
                TimeUnit.MILLISECONDS.toNanos((long) (positive(o, "--timeout") * 1000)), seed,
                target.equals("prometheus"));
        System.out.printf(Locale.ROOT, "open loop: %s at %s views/s for %d s after %d s warm-up, %d connections, "
                        + "%d databases (Zipf %s: top 1 %.1f %%, top 10 %.1f %% of views), %d users; a view is %s%n",
                url, phased ? "phases " + schedule.describe() + " (rate:seconds)" : o.get("--rate"), seconds, warmup,
                connections, databases.size(), o.get("--zipf"), 100 * targets.shareOfTop(1),
                100 * targets.shareOfTop(10), users, workload.describe());
        OpenLoopRunner.Tally t = new OpenLoopRunner(settings, workload).run();
        if (phased) { // before the result line: the per-phase and per-second outcomes (PhaseTally)
            t.phases.lines().forEach(System.out::println);
        }
        int exit = report(o, t, target, rate, seconds, warmup, connections, databases.size(), users);
        System.exit(exit);
    }

    private static int report(Map<String, String> o, OpenLoopRunner.Tally t, String target, double rate, int seconds,
            int warmup, int connections, int databases, int users) {
        double sentRate = t.sentInWindow / (double) Math.max(1, t.partsPerView) / seconds;
        double okRate = t.okViews / (double) seconds;
        long errors = t.timeouts + t.connectionErrors + t.non2xx.values().stream().mapToLong(Long::longValue).sum();
        double lagP99 = ms(t.pickupLag, 99);
        String reason = "";
        int exit = 0;
        if (lagP99 > Double.parseDouble(o.get("--max-lag-ms"))) {
            reason = String.format(Locale.ROOT, "generator_lagging:lag_p99_%.3fms>%sms", lagP99, o.get("--max-lag-ms"));
            exit = 2;
        } else if (sentRate < 0.99 * rate) {
            reason = String.format(Locale.ROOT, "server_saturated:sent_%.0f_of_%.0f/s,queue_max_%d", sentRate, rate,
                    t.queueMax);
            exit = 3;
        }
        Map<String, String> r = new LinkedHashMap<>();
        r.put("target", target);
        r.put("rate", fmt(rate, 0));
        r.put("seconds", Integer.toString(seconds));
        r.put("warmup", Integer.toString(warmup));
        r.put("connections", Integer.toString(connections));
        r.put("databases", Integer.toString(databases));
        r.put("users", Integer.toString(users));
        r.put("views", Long.toString(t.views));
        r.put("ok_views", Long.toString(t.okViews));
        r.put("requests", Long.toString(t.requests));
        r.put("sent_rate", fmt(sentRate, 1));
        r.put("ok_rate", fmt(okRate, 1));
        r.put("p50_ms", fmt(ms(t.latency, 50), 3));
        r.put("p90_ms", fmt(ms(t.latency, 90), 3));
        r.put("p99_ms", fmt(ms(t.latency, 99), 3));
        r.put("p999_ms", fmt(ms(t.latency, 99.9), 3));
        r.put("max_ms", fmt(t.latency.getMaxValue() / 1000.0, 3));
        r.put("mean_ms", fmt(t.latency.getTotalCount() == 0 ? 0 : t.latency.getMean() / 1000.0, 3));
        r.put("errors", Long.toString(errors));
        r.put("non2xx", Long.toString(t.non2xx.values().stream().mapToLong(Long::longValue).sum()));
        t.non2xx.forEach((status, n) -> r.put("status_" + status, Long.toString(n)));
        r.put("timeouts", Long.toString(t.timeouts));
        r.put("conn_errors", Long.toString(t.connectionErrors));
        r.put("warmup_errors", Long.toString(t.warmupErrors));
        r.put("reconnects", Long.toString(t.reconnects));
        if (target.equals("api")) { // the share of 2xx answers per X-Cache value ("none": no such header)
            for (String layer : List.of("L1", "L2", "IQ", "STALE")) {
                t.layers.putIfAbsent(layer, 0L);
            }
            t.layers.forEach((layer, n) -> r.put("layer_" + layer, fmt(n / (double) Math.max(1, t.okRequests), 4)));
        } else { // answers whose result vector was empty: the query selected nothing
            r.put("empty_results", Long.toString(t.emptyResults));
        }
        r.put("lag_p50_ms", fmt(ms(t.pickupLag, 50), 3));
        r.put("lag_p99_ms", fmt(lagP99, 3));
        r.put("lag_max_ms", fmt(t.pickupLag.getMaxValue() / 1000.0, 3));
        r.put("sched_lag_p99_ms", fmt(ms(t.schedulerLag, 99), 3));
        r.put("queue_max", Integer.toString(t.queueMax));
        r.put("connect_s", fmt(t.connectSeconds, 2));
        r.put("gen_cpu_cores", fmt(t.processCpuSeconds / (t.windowNanos / 1e9), 2));
        r.put("valid", Boolean.toString(exit != 2));
        r.put("saturated", Boolean.toString(exit == 3));
        if (!reason.isEmpty()) {
            r.put("reason", reason);
        }

        System.out.printf(Locale.ROOT, "views %,d counted (%,d ok) over %d s: sent %.0f/s, answered 2xx %.0f/s; "
                        + "latency p50 %s ms, p99 %s ms, p99.9 %s ms, max %s ms; errors %d (non-2xx %s, timeouts %d, "
                        + "connection %d; warm-up %d); answers per X-Cache %s; generator lag p99 %s ms, max %s ms, "
                        + "cpu %s cores%n",
                t.views, t.okViews, seconds, sentRate, okRate, r.get("p50_ms"), r.get("p99_ms"), r.get("p999_ms"),
                r.get("max_ms"), errors, t.non2xx, t.timeouts, t.connectionErrors, t.warmupErrors, t.layers,
                r.get("lag_p99_ms"), r.get("lag_max_ms"), r.get("gen_cpu_cores"));
        if (exit == 2) {
            System.out.println("NOT VALID: the generator itself fell behind its schedule (" + reason + ")");
        } else if (exit == 3) {
            System.out.println("SATURATED: requests waited for a free connection and the rate was not delivered ("
                    + reason + "); the latencies above include that wait");
        }
        StringJoiner line = new StringJoiner(" ", "result ", "");
        r.forEach((k, v) -> line.add(k + "=" + v));
        System.out.println(line);
        return exit;
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }

    private static String fmt(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static double positive(Map<String, String> o, String name) {
        double v = Double.parseDouble(o.get(name));
        if (!(v > 0)) {
            throw new IllegalArgumentException(name + " must be > 0 but was " + o.get(name));
        }
        return v;
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("--target", "api");
        d.put("--url", "http://127.0.0.1:17080");
        d.put("--rate", "1000");
        d.put("--seconds", "30");
        d.put("--warmup", "10");
        d.put("--connections", "64");
        d.put("--timeout", "10");
        d.put("--users", "10000");
        d.put("--databases", "1000");
        d.put("--domain", "fleet");
        d.put("--zipf", "1");
        d.put("--seed", "42");
        d.put("--secret-file", ".dbm/dev-jwt-secret");
        d.put("--issuer", "dbmetrics-dev");
        d.put("--promql-scope", "database");
        d.put("--resource-metrics", "process");
        d.put("--max-lag-ms", "5");
        d.put("--token-iat", "now");
        return d;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new LinkedHashMap<>(DEFAULTS);
        for (int i = 0; i < args.length; i++) {
            boolean known = DEFAULTS.containsKey(args[i]) || args[i].equals("--ids")
                    || args[i].equals("--queries-file") || args[i].equals("--phases");
            if (!known || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: OpenLoopLoad [--target api|prometheus] [--url URL] "
                        + "[--rate VIEWS_PER_S] [--seconds S | --phases RATE:S,...] [--warmup S] [--connections N] [--timeout S] "
                        + "[--users N] [--databases N] [--domain D] [--ids id:engine:domain/project,...] [--zipf S] "
                        + "[--seed N] [--secret-file F] [--issuer ISS] [--promql-scope database|engine] "
                        + "[--resource-metrics process|container] [--queries-file F] [--max-lag-ms MS] "
                        + "[--token-iat EPOCH_S|now]; got "
                        + String.join(" ", args));
            }
            options.put(args[i], args[++i]);
        }
        return options;
    }
}

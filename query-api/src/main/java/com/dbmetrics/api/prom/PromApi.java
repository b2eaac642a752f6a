package com.dbmetrics.api.prom;

import com.dbmetrics.api.auth.Principal;
import com.dbmetrics.api.ratelimit.Decision;
import com.dbmetrics.api.ratelimit.RateLimits;
import com.dbmetrics.api.service.HeldBody;
import com.dbmetrics.api.service.HistoryService;
import com.dbmetrics.api.service.ProjectService;
import com.dbmetrics.api.service.SnapshotRenderer;
import com.dbmetrics.schemas.Metric;
import com.dbmetrics.schemas.MetricsSnapshot;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The read endpoints of Prometheus' HTTP API over this system's snapshots, so Grafana and other Prometheus clients read
 * them natively (see {@code docs/architecture.md}, "Prometheus-compatible API"). Every answer is limited to the
 * caller's tenants: the series are those of the databases of the caller's projects, read through the same held
 * listings and history as the REST reads, never from Prometheus. Each request passes the caller's rate limits once;
 * the histories a range query reads pass each database's limit as the history read does. Query answers are rendered
 * once per input and held ({@link AnswerMemo}).
 */
public final class PromApi {

    /** The Prometheus version whose HTTP API this one follows, as {@code status/buildinfo} reports it. */
    static final String PROMETHEUS_VERSION = "2.53.0";
    /** Points one series of a range query may have at most, as in Prometheus. */
    static final int MAX_POINTS = 11_000;
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d|w|y)");

    private final ProjectService projects;
    private final HistoryService history;
    private final SnapshotRenderer renderer;
    private final RateLimits limits;
    private final Clock clock;
    private final String version;
    private final LongAdder requests = new LongAdder();
    /** Parsed queries: dashboards send the same few expressions over and over. */
    private final Cache<String, PromQl.Expr> parsed = Caffeine.newBuilder().maximumSize(10_000).build();
    private final AnswerMemo memo = new AnswerMemo();

    public PromApi(ProjectService projects, HistoryService history, SnapshotRenderer renderer, RateLimits limits,
            Clock clock, String version) {
        this.projects = projects;
        this.history = history;
        this.renderer = renderer;
        this.limits = limits;
        this.clock = clock;
        this.version = version;
    }

    /** Requests answered since start, every endpoint (cache-stats). */
    public long requests() {
        return requests.sum();
    }

    /** {@code api/v1/query}: {@code query}, optional {@code time} (default now). */
    public PromAnswer query(Principal caller, Map<String, List<String>> params) {
        return answer(caller, () -> {
            String query = one(params, "query");
            PromQl.Expr expr = parse(query);
            long at = time(params, "time", clock.millis());
            List<List<MetricsSnapshot>> points = histories(caller, expr, at);
            return memo.instant(key(caller, query), points, at, renderer::staleAfterMillis, writtenAt -> {
                PromEval.Value value = PromEval.instant(expr, points, at, renderer::staleAfterMillis);
                PromJson json = PromJson.success();
                if (value instanceof PromEval.Scalar scalar) {
                    json.scalar(writtenAt, scalar.value());
                } else {
                    json.vector(writtenAt, ((PromEval.Vector) value).samples());
                }
                return json.end();
            });
        });
    }

    /** {@code api/v1/query_range}: {@code query}, {@code start}, {@code end}, {@code step}. */
    public PromAnswer queryRange(Principal caller, Map<String, List<String>> params) {
        return held(caller, () -> {
            String query = one(params, "query");
            PromQl.Expr expr = parse(query);
            long start = time(params, "start", null);
            long end = time(params, "end", null);
            if (end < start) {
                throw new PromError.BadData("invalid parameter \"end\": end timestamp must not be before start time");
            }
            long step = duration(one(params, "step"), "step");
            if ((end - start) / step + 1 > MAX_POINTS) {
                throw new PromError.BadData("exceeded maximum resolution of 11,000 points per timeseries. Try "
                        + "decreasing the query resolution (?step=XX)");
            }
            List<List<MetricsSnapshot>> points = histories(caller, expr, Long.MIN_VALUE);
            return memo.range(key(caller, query) + '\n' + start + '/' + end + '/' + step, points,
                    () -> PromJson.success().matrix(PromEval.range(expr, points, start, end, step,
                            renderer::staleAfterMillis)).end());
        });
    }

    /** {@code api/v1/series}: one or more {@code match[]}; {@code start}/{@code end} are accepted and checked. */
    public PromAnswer series(Principal caller, Map<String, List<String>> params) {
        return answer(caller, () -> {
            List<PromQl.Selector> selectors = selectors(params, true);
            checkOptionalRange(params);
            Set<Map<String, String>> series = new TreeSet<>(PromEval.LABELS_ORDER);
            eachSeries(caller, selectors, series::add);
            return PromJson.success().labelSets(series).end();
        });
    }

    /** {@code api/v1/labels}: the label names of the caller's series (those matching {@code match[]} when given). */
    public PromAnswer labels(Principal caller, Map<String, List<String>> params) {
        return answer(caller, () -> {
            checkOptionalRange(params);
            Set<String> names = new TreeSet<>();
            eachSeries(caller, selectors(params, false), labels -> names.addAll(labels.keySet()));
            return PromJson.success().strings(names).end();
        });
    }

    /** {@code api/v1/label/<name>/values}: the values of one label over the caller's series. */
    public PromAnswer labelValues(Principal caller, String label, Map<String, List<String>> params) {
        return answer(caller, () -> {
            checkOptionalRange(params);
            Set<String> values = new TreeSet<>();
            eachSeries(caller, selectors(params, false), labels -> {
                String v = labels.get(label);
                if (v != null) {
                    values.add(v);
                }
            });
            return PromJson.success().strings(values).end();
        });
    }

    /** {@code api/v1/metadata}: type, unit and help of every metric ({@code metric}, {@code limit} honoured). */
    public PromAnswer metadata(Principal caller, Map<String, List<String>> params) {
        return answer(caller, () -> {
            String only = optional(params, "metric");
            int limit = Integer.MAX_VALUE;
            String limitParam = optional(params, "limit");
            if (limitParam != null) {
                try {
                    limit = Integer.parseInt(limitParam);
                } catch (NumberFormatException e) {
                    throw new PromError.BadData("invalid parameter \"limit\": not a number");
                }
            }
            Map<String, PromSeries.Described> described = new LinkedHashMap<>();
            for (Metric metric : Metric.values()) {
                PromSeries.Described d = PromSeries.METRICS.get(metric);
                if ((only == null || only.equals(d.name())) && (limit < 0 || described.size() < limit)) {
                    described.put(d.name(), d);
                }
            }
            return PromJson.success().metadata(described).end();
        });
    }

    /** {@code api/v1/status/buildinfo}: the Prometheus version whose API this follows, and this build's. */
    public PromAnswer buildInfo(Principal caller) {
        return answer(caller, () -> PromJson.success().buildInfo(PROMETHEUS_VERSION, version).end());
    }

    /** Endpoints Grafana probes that this system has nothing for: rules, alerts, exemplars. */
    public enum Empty {
        RULES("groups"), ALERTS("alerts"), EXEMPLARS(null);

        final String field;

        Empty(String field) {
            this.field = field;
        }
    }

    public PromAnswer empty(Principal caller, Empty what) {
        return answer(caller, () -> PromJson.success().empty(what.field).end());
    }

    /** An endpoint of Prometheus' API this one does not serve. */
    public static PromAnswer notFound(String path) {
        return PromAnswer.error(new PromError.BadData("the Prometheus-compatible API does not serve " + path
                + "; it serves query, query_range, series, labels, label/<name>/values, metadata, "
                + "status/buildinfo"), 404);
    }

    /** Answers of query and query_range rendered from their points (cache-stats). */
    public long renderedAnswers() {
        return memo.renders();
    }

    /** Answers of query and query_range served from a rendering made from the same points (cache-stats). */
    public long heldAnswers() {
        return memo.hits();
    }

    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("dbm_api_prometheus_answers_rendered", memo, AnswerMemo::renders)
                .description("query and query_range answers evaluated and rendered").register(registry);
        FunctionCounter.builder("dbm_api_prometheus_answers_held", memo, AnswerMemo::hits)
                .description("query and query_range answers served from a rendering of the same points")
                .register(registry);
    }

    /** The memo's key of a query: who may see what (the tenants) and the expression as sent. */
    private static String key(Principal caller, String query) {
        return caller.tenants() + "\n" + query;
    }

    /** A query parsed once (a query that does not parse is not held: it throws each time). */
    private PromQl.Expr parse(String query) {
        return parsed.get(query, PromQl::parse);
    }

    /** Counts the request, passes the caller's limits, then answers; expected failures become error answers. */
    private PromAnswer answer(Principal caller, Body body) {
        return admitted(caller, rate -> PromAnswer.ok(body.render(), rate));
    }

    /** As {@link #answer}, with a body held for many readers ({@link AnswerMemo}), gzipped once for all of them. */
    private PromAnswer held(Principal caller, Held body) {
        return admitted(caller, rate -> PromAnswer.ok(body.render(), rate));
    }

    private PromAnswer admitted(Principal caller, java.util.function.Function<Decision, PromAnswer> ok) {
        requests.increment();
        Decision rate = limits.admitRequest(caller.userId());
        if (!rate.allowed()) {
            return PromAnswer.limited(rate);
        }
        try {
            return ok.apply(rate);
        } catch (PromError.Limited e) {
            return PromAnswer.limited(e.decision);
        } catch (PromError e) {
            return PromAnswer.error(e, e.status()).withRate(rate);
        }
    }

    @FunctionalInterface
    private interface Body {
        byte[] render();
    }

    /** A body held for many readers ({@link AnswerMemo}). */
    @FunctionalInterface
    private interface Held {
        HeldBody render();
    }

    /** The labels of each of the caller's series that a selector matches (every series when there is none). */
    private void eachSeries(Principal caller, List<PromQl.Selector> selectors,
            java.util.function.Consumer<Map<String, String>> each) {
        for (MetricsSnapshot s : latest(caller, selectors)) {
            for (Metric metric : Metric.values()) {
                if (s.value(metric) == null) {
                    continue;
                }
                boolean wanted = selectors.isEmpty();
                for (PromQl.Selector selector : selectors) {
                    wanted |= PromSeries.matches(selector.matchers(), s, metric);
                }
                if (wanted) {
                    each.accept(PromSeries.labels(s, metric));
                }
            }
        }
    }

    /**
     * The points of each database the expression could select, oldest first: its latest snapshot alone when that is
     * not newer than {@code from} (an instant query at or after it), else its history.
     */
    private List<List<MetricsSnapshot>> histories(Principal caller, PromQl.Expr expr, long from) {
        if (PromEval.isScalar(expr)) {
            return List.of();
        }
        List<List<MetricsSnapshot>> histories = new ArrayList<>();
        for (MetricsSnapshot latest : latest(caller, List.of(selectorOf(expr)))) {
            histories.add(latest.timestamp().toEpochMilli() <= from ? List.of(latest) : points(latest));
        }
        return histories;
    }

    private static PromQl.Selector selectorOf(PromQl.Expr expr) {
        return expr instanceof PromQl.Aggregation g ? g.selector() : (PromQl.Selector) expr;
    }

    /** A database's history, oldest first, through the history reads' holding and per-database limit. */
    private List<MetricsSnapshot> points(MetricsSnapshot latest) {
        HistoryService.Held held = history.points(latest.domain(), latest.project(), latest.databaseId());
        if (held instanceof HistoryService.Points found) {
            return found.points();
        }
        if (held instanceof HistoryService.Limited limited) {
            throw new PromError.Limited(limited.decision());
        }
        if (held instanceof HistoryService.Unavailable) {
            throw new PromError.Unavailable();
        }
        return List.of(); // removed since it was listed
    }

    /**
     * The latest snapshot of every database of the caller's tenants that some selector could match (all of them when
     * there is no selector), each once. Projects the selectors rule out by an equality matcher on {@code domain} or
     * {@code project} are not read.
     */
    private List<MetricsSnapshot> latest(Principal caller, List<PromQl.Selector> selectors) {
        Map<String, MetricsSnapshot> byId = new LinkedHashMap<>();
        for (String tenant : caller.tenants()) {
            int slash = tenant.indexOf('/');
            if (slash <= 0) {
                continue;
            }
            String domain = tenant.substring(0, slash);
            String project = tenant.substring(slash + 1);
            for (String asked : projectsToRead(selectors, domain, project)) {
                Optional<List<MetricsSnapshot>> all = projects.all(domain, asked);
                if (all.isEmpty()) {
                    throw new PromError.Unavailable();
                }
                for (MetricsSnapshot s : all.get()) {
                    if (selectors.isEmpty() || selectors.stream().anyMatch(
                            sel -> PromSeries.databaseMatches(sel.matchers(), s))) {
                        byId.putIfAbsent(s.databaseId(), s);
                    }
                }
            }
        }
        return new ArrayList<>(byId.values());
    }

    /**
     * The projects of one tenant ({@code project} may be {@code *}) worth reading for these selectors: none when every
     * selector asks another domain or project by equality; for a whole-domain tenant, the projects named by equality
     * when every selector names one, else the whole domain.
     */
    static List<String> projectsToRead(List<PromQl.Selector> selectors, String domain, String project) {
        if (selectors.isEmpty()) {
            return List.of(project);
        }
        Set<String> named = new TreeSet<>();
        boolean everyNamesProject = true;
        boolean anyCouldMatch = false;
        for (PromQl.Selector selector : selectors) {
            String d = equality(selector, "domain");
            String p = equality(selector, "project");
            if ((d != null && !d.equals(domain)) || (p != null && !project.equals("*") && !p.equals(project))) {
                continue;
            }
            anyCouldMatch = true;
            if (p == null) {
                everyNamesProject = false;
            } else {
                named.add(p);
            }
        }
        if (!anyCouldMatch) {
            return List.of();
        }
        if (project.equals("*") && everyNamesProject) {
            return List.copyOf(named);
        }
        return List.of(project);
    }

    private static String equality(PromQl.Selector selector, String label) {
        for (PromQl.Matcher m : selector.matchers()) {
            if (m.label().equals(label) && m.op() == PromQl.MatchOp.EQ) {
                return m.value();
            }
        }
        return null;
    }

    private static List<PromQl.Selector> selectors(Map<String, List<String>> params, boolean required) {
        List<String> matches = params.getOrDefault("match[]", List.of());
        if (matches.isEmpty() && required) {
            throw new PromError.BadData("no match[] parameter provided");
        }
        if (matches.size() > 20) {
            throw new PromError.BadData("at most 20 match[] parameters");
        }
        List<PromQl.Selector> selectors = new ArrayList<>();
        for (String match : matches) {
            selectors.add(PromQl.parseSelector(match));
        }
        return selectors;
    }

    private void checkOptionalRange(Map<String, List<String>> params) {
        if (optional(params, "start") != null) {
            time(params, "start", null);
        }
        if (optional(params, "end") != null) {
            time(params, "end", null);
        }
    }

    private static String one(Map<String, List<String>> params, String name) {
        String value = optional(params, name);
        if (value == null) {
            throw new PromError.BadData("invalid parameter \"" + name + "\": missing");
        }
        return value;
    }

    private static String optional(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** A time parameter in epoch ms: RFC 3339 or Unix seconds with a fraction; {@code fallback} when absent. */
    private static long time(Map<String, List<String>> params, String name, Long fallback) {
        String value = optional(params, name);
        if (value == null) {
            if (fallback == null) {
                throw new PromError.BadData("invalid parameter \"" + name + "\": missing");
            }
            return fallback;
        }
        try {
            return HistoryService.time(value).toEpochMilli();
        } catch (IllegalArgumentException | ArithmeticException | DateTimeParseException e) {
            throw new PromError.BadData("invalid parameter \"" + name + "\": cannot parse \""
                    + clip(value) + "\" to a valid timestamp");
        }
    }

    /** A step: seconds with an optional fraction, or a Prometheus duration ({@code 15s}, {@code 1m30s}); in ms. */
    static long duration(String value, String name) {
        String v = value.trim();
        long millis = -1;
        try {
            if (v.matches("\\d+(\\.\\d+)?")) {
                millis = new BigDecimal(v).movePointRight(3).setScale(0, RoundingMode.DOWN).longValueExact();
            } else if (v.length() <= 40) {
                Matcher m = DURATION.matcher(v);
                int end = 0;
                long total = 0;
                while (m.find() && m.start() == end) {
                    long n = Long.parseLong(m.group(1));
                    total = Math.addExact(total, Math.multiplyExact(n, switch (m.group(2)) {
                        case "ms" -> 1L;
                        case "s" -> 1_000L;
                        case "m" -> 60_000L;
                        case "h" -> 3_600_000L;
                        case "d" -> 86_400_000L;
                        case "w" -> 604_800_000L;
                        default -> 31_536_000_000L;
                    }));
                    end = m.end();
                }
                millis = end == v.length() && end > 0 ? total : -1;
            }
        } catch (ArithmeticException | NumberFormatException e) {
            millis = -1;
        }
        if (millis <= 0) {
            throw new PromError.BadData("invalid parameter \"" + name + "\": cannot parse \"" + clip(value)
                    + "\" to a valid duration; zero or negative query resolution step widths are not accepted");
        }
        return millis;
    }

    private static String clip(String value) {
        return value.length() > 40 ? value.substring(0, 40) + "..." : value;
    }
}

package com.dbmetrics.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.logging.Logger;

/**
 * One HTTP process that plays N databases' exporters, spread over the four engines, with the real metric names and
 * labels of postgres_exporter, mysqld_exporter, Percona mongodb_exporter, redis_exporter and process-exporter, and
 * values that move (counters grow at a per-database rate, gauges wobble). Each database is its own Prometheus target:
 * {@code /db/<database_id>/metrics}, listed with its target labels in a file_sd file this process writes, so
 * discovery ({@code up{database_id!=""}}) and the catalogue's queries see a fleet exactly as they see real exporters.
 *
 * <pre>
 * mvn -B -q -DskipTests -pl benchmarks -am package
 * java -jar benchmarks/target/dbmetrics-benchmarks.jar --port 17900 --databases 10000 --sd-file /tmp/fleet.json
 * </pre>
 * (./dbm up --fleet N does this and adds the file_sd job to Prometheus.)
 */
public final class FleetSimulator {

    private static final Logger log = Logger.getLogger(FleetSimulator.class.getName());
    static final List<String> ENGINES = List.of("postgresql", "mysql", "mongodb", "redis");

    private final Map<String, SyntheticDatabase> databases;

    FleetSimulator(int count, String domain, long startMillis) {
        databases = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String engine = ENGINES.get(i % ENGINES.size());
            String id = "fleet-" + engine + "-" + i;
            databases.put(id, new SyntheticDatabase(id, engine, domain, "p" + (i % 100), startMillis));
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        int port = Integer.parseInt(options.getOrDefault("--port", "17900"));
        int count = Integer.parseInt(options.getOrDefault("--databases", "100"));
        if (count < 1 || count > 1_000_000) {
            throw new IllegalArgumentException("--databases must be 1-1000000 but was " + count);
        }
        String domain = options.getOrDefault("--domain", "fleet");
        FleetSimulator fleet = new FleetSimulator(count, domain, System.currentTimeMillis());
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 512);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/db/", exchange -> fleet.serve(exchange));
        server.createContext("/healthz", exchange -> respond(exchange, 200, "ok\n"));
        server.start();
        if (options.containsKey("--sd-file")) {
            fleet.writeTargets(Path.of(options.get("--sd-file")), "127.0.0.1:" + port);
        }
        log.info("fleet of " + count + " databases on port " + port);
        new CountDownLatch(1).await();
    }

    private void serve(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath(); // /db/<id>/metrics
        String[] parts = path.split("/");
        SyntheticDatabase db = parts.length == 4 && "metrics".equals(parts[3]) ? databases.get(parts[2]) : null;
        if (db == null) {
            respond(exchange, 404, "no such database\n");
            return;
        }
        respond(exchange, 200, db.render(System.currentTimeMillis()));
    }

    /** Prometheus file_sd: one target per database, its labels and its metrics path. */
    void writeTargets(Path file, String hostPort) throws IOException {
        StringBuilder json = new StringBuilder("[\n");
        boolean first = true;
        for (SyntheticDatabase db : databases.values()) {
            json.append(first ? "" : ",\n").append("{\"targets\":[\"").append(hostPort).append("\"],\"labels\":{")
                    .append("\"__metrics_path__\":\"/db/").append(db.id()).append("/metrics\",")
                    .append("\"database_id\":\"").append(db.id()).append("\",")
                    .append("\"database_name\":\"").append(db.id()).append("-name\",")
                    .append("\"engine\":\"").append(db.engine()).append("\",")
                    .append("\"domain\":\"").append(db.domain()).append("\",")
                    .append("\"project\":\"").append(db.project()).append("\"}}");
            first = false;
        }
        json.append("\n]\n");
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, json.toString());
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    List<SyntheticDatabase> databases() {
        return new ArrayList<>(databases.values());
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: FleetSimulator --port P --databases N [--sd-file F] "
                        + "[--domain D]; got " + String.join(" ", args));
            }
            options.put(args[i], args[++i]);
        }
        return options;
    }
}

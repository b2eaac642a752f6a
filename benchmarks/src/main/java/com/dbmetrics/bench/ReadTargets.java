package com.dbmetrics.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The databases a load generator reads, their Zipf popularity and their readers. Ranks are assigned to databases by a
 * seeded shuffle (so the hottest database is not always {@code fleet-postgresql-0}); rank {@code r} (1-based) is
 * chosen with probability proportional to {@code 1 / r^exponent}. Users belong to one project each: user {@code u} to
 * the {@code u % projects}-th project in order of first appearance, so with the fleet user {@code u} reads project
 * {@code p(u % 100)}.
 */
final class ReadTargets {

    /** One database as the API path and the engine catalogue see it. */
    record Database(String id, String engine, String domain, String project, int projectIndex) {}

    private final List<Database> databases;
    private final List<String> projects;
    private final int[] byRank;
    private final double[] cumulative;
    private final int users;

    ReadTargets(List<Database> databases, int users, double exponent, long seed) {
        if (databases.isEmpty()) {
            throw new IllegalArgumentException("no databases to read");
        }
        if (!(exponent >= 0)) {
            throw new IllegalArgumentException("--zipf must be >= 0 but was " + exponent);
        }
        Map<String, Integer> projectIndex = new LinkedHashMap<>();
        List<Database> indexed = new ArrayList<>(databases.size());
        for (Database db : databases) {
            String tenant = db.domain() + "/" + db.project();
            int index = projectIndex.computeIfAbsent(tenant, t -> projectIndex.size());
            indexed.add(new Database(db.id(), db.engine(), db.domain(), db.project(), index));
        }
        this.databases = List.copyOf(indexed);
        this.projects = List.copyOf(projectIndex.keySet());
        if (users < projects.size()) {
            throw new IllegalArgumentException("--users must be at least the number of projects (" + projects.size()
                    + ", one reader each) but was " + users);
        }
        this.users = users;
        byRank = shuffled(databases.size(), new SplittableRandom(seed));
        cumulative = new double[databases.size()];
        double sum = 0;
        for (int r = 0; r < cumulative.length; r++) {
            sum += 1 / Math.pow(r + 1, exponent);
            cumulative[r] = sum;
        }
        for (int r = 0; r < cumulative.length; r++) {
            cumulative[r] /= sum;
        }
    }

    /** The fleet of {@link FleetSimulator}: {@code fleet-<engine>-<i>}, engine {@code i % 4}, project {@code p(i % 100)}. */
    static List<Database> fleet(int count, String domain) {
        List<Database> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String engine = FleetSimulator.ENGINES.get(i % FleetSimulator.ENGINES.size());
            out.add(new Database("fleet-" + engine + "-" + i, engine, domain, "p" + (i % 100), 0));
        }
        return out;
    }

    /** {@code id:engine:domain/project,...}, e.g. {@code pg-demo-1:postgresql:acme/shop}. */
    static List<Database> parse(String list) {
        List<Database> out = new ArrayList<>();
        for (String item : list.split(",")) {
            String[] parts = item.trim().split(":");
            String[] tenant = parts.length == 3 ? parts[2].split("/") : new String[0];
            if (tenant.length != 2) {
                throw new IllegalArgumentException("--ids wants id:engine:domain/project items but got '" + item + "'");
            }
            out.add(new Database(parts[0], parts[1], tenant[0], tenant[1], 0));
        }
        return out;
    }

    /** The index (in {@link #databases()}) of a database chosen by popularity. */
    int pick(SplittableRandom random) {
        int rank = Arrays.binarySearch(cumulative, random.nextDouble());
        rank = rank >= 0 ? rank : Math.min(-rank - 1, cumulative.length - 1);
        return byRank[rank];
    }

    /** A random user allowed to read database {@code index}: a user {@code u} with {@code u % projects} its project. */
    int readerOf(int index, SplittableRandom random) {
        Database db = databases.get(index);
        int p = projects.size();
        int count = (users - 1 - db.projectIndex()) / p + 1;
        return db.projectIndex() + p * random.nextInt(count);
    }

    /** {@code domain/project} of user {@code u}. */
    String tenantOf(int user) {
        return projects.get(user % projects.size());
    }

    List<Database> databases() {
        return databases;
    }

    int users() {
        return users;
    }

    /** Share of reads that go to the {@code n} most popular databases. */
    double shareOfTop(int n) {
        return cumulative[Math.min(n, cumulative.length) - 1];
    }

    private static int[] shuffled(int n, SplittableRandom random) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}

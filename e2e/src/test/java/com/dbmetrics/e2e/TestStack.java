package com.dbmetrics.e2e;

/**
 * Addresses of the real services {@code ./dbm test} starts (Kafka, Redis, Prometheus scraping real exporters of a real
 * PostgreSQL and Redis). A test that needs them fails loudly when they are missing: it never skips.
 */
final class TestStack {

    /** The interactive-query token of the streams-app and query API these tests start, as a mounted secret holds it. */
    static final String IQ_TOKEN = "e2e-iq-token-" + java.util.UUID.randomUUID();
    private static java.nio.file.Path iqTokenFile;

    private TestStack() {}

    /** {@code STREAMS_IQ_TOKEN_FILE} for both apps: a temporary file holding {@link #IQ_TOKEN}. */
    static synchronized String iqTokenFile() {
        try {
            if (iqTokenFile == null) {
                iqTokenFile = java.nio.file.Files.createTempFile("e2e-iq-token", "");
                iqTokenFile.toFile().deleteOnExit();
                java.nio.file.Files.writeString(iqTokenFile, IQ_TOKEN + "\n");
            }
            return iqTokenFile.toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A free TCP port on loopback (for a streams-app's interactive-query server, which must be named up front). */
    static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The environment of a streams-app run inside a test: Kafka as admin (it creates its internal topics under a
     * unique application id), Redis as the streams-app's user, the internal token, the interactive-query server on
     * {@code iqPort}, probes on any free port (not what these tests read), state in a new temporary folder.
     */
    static java.util.Map<String, String> streamsEnv(String applicationId, int iqPort) {
        java.util.Map<String, String> env = new java.util.HashMap<>(
                com.dbmetrics.schemas.testing.TestServices.kafkaEnv(com.dbmetrics.schemas.testing.TestServices.KAFKA_ADMIN));
        env.putAll(com.dbmetrics.schemas.testing.TestServices.redisEnv(
                com.dbmetrics.schemas.testing.TestServices.REDIS_STREAMS));
        env.put("STREAMS_IQ_TOKEN_FILE", iqTokenFile());
        env.put("STREAMS_APPLICATION_ID", applicationId);
        env.put("STREAMS_APPLICATION_SERVER", "127.0.0.1:" + iqPort);
        env.put("STREAMS_MANAGEMENT_PORT", "0");
        try {
            env.put("STREAMS_STATE_DIR", java.nio.file.Files.createTempDirectory(applicationId + "-state").toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return env;
    }

    /**
     * The environment of a query API run inside a test against the streams-app of {@link #streamsEnv}: Redis as the
     * API's user, that instance's interactive queries and token, the HS256 {@code secret}, any free ports.
     */
    static java.util.Map<String, String> apiEnv(int iqPort, String secret) {
        java.util.Map<String, String> env = new java.util.HashMap<>(
                com.dbmetrics.schemas.testing.TestServices.redisEnv(com.dbmetrics.schemas.testing.TestServices.REDIS_API));
        env.put("STREAMS_IQ_TOKEN_FILE", iqTokenFile());
        env.put("STREAMS_IQ_URLS", "http://127.0.0.1:" + iqPort);
        env.put("AUTH_JWT_SECRET", secret);
        env.put("API_PORT", "0");
        env.put("API_MANAGEMENT_PORT", "0");
        env.put("API_WARMUP_REQUESTS", "0"); // ready at once: the tests count their own requests
        return env;
    }

    /** Creates the topics of a test's own topology (3 partitions, the status topic 1), as Kafka's admin. */
    static void createTopics(com.dbmetrics.streams.topology.MetricsTopology.TopicNames topics) throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                com.dbmetrics.schemas.testing.TestServices.kafkaProperties(
                        com.dbmetrics.schemas.testing.TestServices.KAFKA_ADMIN))) {
            admin.createTopics(java.util.List.of(
                    new org.apache.kafka.clients.admin.NewTopic(topics.snapshots(), 3, (short) 1),
                    new org.apache.kafka.clients.admin.NewTopic(topics.latest(), 3, (short) 1),
                    new org.apache.kafka.clients.admin.NewTopic(topics.pollerStatus(), 1, (short) 1))).all().get();
        }
    }

    /** A producer of raw records (string keys, byte values) as Kafka's admin, for snapshots a test writes itself. */
    static org.apache.kafka.clients.producer.KafkaProducer<String, byte[]> adminProducer() {
        java.util.Map<String, Object> config = com.dbmetrics.schemas.testing.TestServices.kafkaProperties(
                com.dbmetrics.schemas.testing.TestServices.KAFKA_ADMIN);
        config.put(org.apache.kafka.clients.producer.ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.StringSerializer.class);
        config.put(org.apache.kafka.clients.producer.ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.ByteArraySerializer.class);
        return new org.apache.kafka.clients.producer.KafkaProducer<>(config);
    }

    static String require(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set: run the integration tests through ./dbm test, which "
                    + "starts Kafka, Redis, Prometheus and the demo databases and passes their addresses in");
        }
        return value;
    }

    static String kafka() {
        return require("DBM_IT_KAFKA_BOOTSTRAP");
    }

    static String redisUrl() {
        return require("DBM_IT_REDIS_URL");
    }

    static String prometheusUrl() {
        return require("DBM_IT_PROMETHEUS_URL");
    }

    static String postgresJdbcUrl() {
        return require("DBM_IT_POSTGRES_JDBC_URL");
    }

    static String postgresDatabaseId() {
        return require("DBM_IT_PG_DATABASE_ID");
    }

    static String redisDatabaseId() {
        return require("DBM_IT_REDIS_DATABASE_ID");
    }

    static String mysqlDatabaseId() {
        return require("DBM_IT_MYSQL_DATABASE_ID");
    }
}

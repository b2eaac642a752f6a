package com.dbmetrics.schemas.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * How every dbmetrics process (poller, streams-app, their commands, backfill) connects to Kafka, read from the same
 * variables everywhere and turned into Kafka client properties (the ecosystem's own convention):
 * <ul>
 *   <li>{@value #KAFKA_BOOTSTRAP_SERVERS} (required), {@value #KAFKA_SECURITY_PROTOCOL} ({@code PLAINTEXT},
 *       {@code SSL}, {@code SASL_PLAINTEXT}, {@code SASL_SSL}; default {@code PLAINTEXT});</li>
 *   <li>{@value #KAFKA_SASL_MECHANISM} (default {@code SCRAM-SHA-512}), {@value #KAFKA_SASL_USERNAME} and
 *       {@code KAFKA_SASL_PASSWORD_FILE} or {@code KAFKA_SASL_PASSWORD}, or a whole {@code KAFKA_SASL_JAAS_CONFIG}
 *       (or {@code _FILE});</li>
 *   <li>{@value #KAFKA_SSL_CA_FILE}: PEM CA certificates to trust (else the JVM's); {@value #KAFKA_SSL_KEYSTORE_FILE}:
 *       a PEM file with the client's private key and certificate chain, for mutual TLS;</li>
 *   <li>{@value #KAFKA_CLIENT_PROPERTIES_FILE}: any other client property (e.g. {@code ssl.truststore.location},
 *       {@code sasl.oauthbearer...}); its values win over the ones above.</li>
 * </ul>
 * {@link #toString()} shows no secret.
 */
public record KafkaClientSettings(String bootstrapServers, String securityProtocol, String saslMechanism,
        String saslUsername, Secret saslPassword, Secret saslJaasConfig, Path caFile, Path keystoreFile,
        Map<String, String> extraProperties, Set<String> secretExtraKeys) {

    public static final String KAFKA_BOOTSTRAP_SERVERS = "KAFKA_BOOTSTRAP_SERVERS";
    public static final String KAFKA_SECURITY_PROTOCOL = "KAFKA_SECURITY_PROTOCOL";
    public static final String KAFKA_SASL_MECHANISM = "KAFKA_SASL_MECHANISM";
    public static final String KAFKA_SASL_USERNAME = "KAFKA_SASL_USERNAME";
    /** Read as {@code KAFKA_SASL_PASSWORD_FILE} (preferred) or {@code KAFKA_SASL_PASSWORD}. */
    public static final String KAFKA_SASL_PASSWORD = "KAFKA_SASL_PASSWORD";
    /** Read as {@code KAFKA_SASL_JAAS_CONFIG_FILE} or {@code KAFKA_SASL_JAAS_CONFIG}. */
    public static final String KAFKA_SASL_JAAS_CONFIG = "KAFKA_SASL_JAAS_CONFIG";
    public static final String KAFKA_SSL_CA_FILE = "KAFKA_SSL_CA_FILE";
    public static final String KAFKA_SSL_KEYSTORE_FILE = "KAFKA_SSL_KEYSTORE_FILE";
    public static final String KAFKA_CLIENT_PROPERTIES_FILE = "KAFKA_CLIENT_PROPERTIES_FILE";

    public static final String DEFAULT_SASL_MECHANISM = "SCRAM-SHA-512";
    private static final Set<String> PROTOCOLS = Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
    private static final Set<String> MECHANISMS = Set.of("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN", "OAUTHBEARER",
            "GSSAPI");

    public KafkaClientSettings {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new ConfigException(KAFKA_BOOTSTRAP_SERVERS + " must be set");
        }
        if (!PROTOCOLS.contains(securityProtocol)) {
            throw new ConfigException(KAFKA_SECURITY_PROTOCOL + " must be one of " + new TreeSet<>(PROTOCOLS)
                    + " but was \"" + securityProtocol + "\"");
        }
        if (sasl(securityProtocol)) {
            if (!MECHANISMS.contains(saslMechanism)) {
                throw new ConfigException(KAFKA_SASL_MECHANISM + " must be one of " + new TreeSet<>(MECHANISMS) + " but was \""
                        + saslMechanism + "\"");
            }
            boolean scramOrPlain = saslMechanism.startsWith("SCRAM") || saslMechanism.equals("PLAIN");
            if (scramOrPlain && saslJaasConfig == null && (saslUsername == null || saslPassword == null)
                    && !extraProperties.containsKey("sasl.jaas.config")) {
                throw new ConfigException(KAFKA_SECURITY_PROTOCOL + "=" + securityProtocol + " with " + saslMechanism
                        + " needs " + KAFKA_SASL_USERNAME + " and " + KAFKA_SASL_PASSWORD + "_FILE (or "
                        + KAFKA_SASL_PASSWORD + "), or " + KAFKA_SASL_JAAS_CONFIG);
            }
        }
        extraProperties = Map.copyOf(extraProperties);
        secretExtraKeys = Set.copyOf(secretExtraKeys);
    }

    /** Plaintext, anonymous: for tests of one class and tools that are given only a bootstrap address. */
    public static KafkaClientSettings plaintext(String bootstrapServers) {
        return new KafkaClientSettings(bootstrapServers, "PLAINTEXT", DEFAULT_SASL_MECHANISM, null, null, null, null,
                null, Map.of(), Set.of());
    }

    public static KafkaClientSettings fromEnv(Env env) {
        String protocol = env.string(KAFKA_SECURITY_PROTOCOL, "PLAINTEXT").toUpperCase(Locale.ROOT);
        Path propertiesFile = PemTrust.existingFile(env, KAFKA_CLIENT_PROPERTIES_FILE);
        Map<String, String> extra = new LinkedHashMap<>();
        if (propertiesFile != null) {
            Properties p = new Properties();
            try (Reader in = Files.newBufferedReader(propertiesFile, StandardCharsets.UTF_8)) {
                p.load(in);
            } catch (IOException | IllegalArgumentException e) {
                throw new ConfigException(KAFKA_CLIENT_PROPERTIES_FILE + " must name a Java properties file but "
                        + propertiesFile + " could not be read (" + e.getClass().getSimpleName() + ")");
            }
            p.stringPropertyNames().stream().sorted().forEach(k -> extra.put(k, p.getProperty(k)));
        }
        Set<String> secretKeys = extra.keySet().stream()
                .filter(k -> k.contains("password") || k.contains("jaas") || k.endsWith(".key") || k.contains("secret"))
                .collect(Collectors.toSet());
        return new KafkaClientSettings(env.required(KAFKA_BOOTSTRAP_SERVERS), protocol,
                env.string(KAFKA_SASL_MECHANISM, DEFAULT_SASL_MECHANISM).toUpperCase(Locale.ROOT),
                env.string(KAFKA_SASL_USERNAME, null), Secret.fromEnv(env, KAFKA_SASL_PASSWORD),
                Secret.fromEnv(env, KAFKA_SASL_JAAS_CONFIG), PemTrust.existingFile(env, KAFKA_SSL_CA_FILE),
                PemTrust.existingFile(env, KAFKA_SSL_KEYSTORE_FILE), extra, secretKeys);
    }

    private static boolean sasl(String protocol) {
        return protocol.startsWith("SASL_");
    }

    private static boolean tls(String protocol) {
        return protocol.endsWith("SSL");
    }

    /** The client properties (bootstrap servers included) for a producer, consumer, admin or Streams client. */
    public Map<String, Object> clientProperties() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("bootstrap.servers", bootstrapServers);
        p.put("security.protocol", securityProtocol);
        if (sasl(securityProtocol)) {
            p.put("sasl.mechanism", saslMechanism);
            if (saslJaasConfig != null) {
                p.put("sasl.jaas.config", saslJaasConfig.reveal());
            } else if (saslUsername != null && saslPassword != null) {
                String module = saslMechanism.equals("PLAIN")
                        ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                        : "org.apache.kafka.common.security.scram.ScramLoginModule";
                p.put("sasl.jaas.config", module + " required username=\"" + jaasEscape(saslUsername)
                        + "\" password=\"" + jaasEscape(saslPassword.reveal()) + "\";");
            }
        }
        if (tls(securityProtocol)) {
            if (caFile != null) {
                p.put("ssl.truststore.type", "PEM");
                p.put("ssl.truststore.location", caFile.toString());
            }
            if (keystoreFile != null) {
                p.put("ssl.keystore.type", "PEM");
                p.put("ssl.keystore.location", keystoreFile.toString());
            }
        }
        p.putAll(extraProperties);
        return p;
    }

    private static String jaasEscape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /**
     * A one-line description for start-up logs: the protocol, mechanism and principal in effect (those of the client
     * properties file when it sets them), the servers; no secret.
     */
    public String describe() {
        String protocol = extraProperties.getOrDefault("security.protocol", securityProtocol).toUpperCase(Locale.ROOT);
        StringBuilder b = new StringBuilder(protocol);
        if (sasl(protocol)) {
            b.append(' ').append(extraProperties.getOrDefault("sasl.mechanism", saslMechanism));
            String user = saslUsername;
            String jaas = extraProperties.get("sasl.jaas.config");
            if (jaas != null) {
                java.util.regex.Matcher m = JAAS_USERNAME.matcher(jaas);
                user = m.find() ? m.group(1) : user;
            }
            if (user != null) {
                b.append(" as ").append(user);
            }
        }
        return b.append(" to ").append(bootstrapServers).toString();
    }

    private static final java.util.regex.Pattern JAAS_USERNAME =
            java.util.regex.Pattern.compile("username\\s*=\\s*\"([^\"]*)\"");

    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>();
        extraProperties.forEach((k, v) -> shown.put(k, secretExtraKeys.contains(k) ? "****" : v));
        return "KafkaClientSettings[" + describe() + ", caFile=" + caFile + ", keystoreFile=" + keystoreFile
                + ", extra=" + shown + "]";
    }
}

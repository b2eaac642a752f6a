package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.dbmetrics.poller.prometheus.PrometheusAuth;
import com.dbmetrics.schemas.config.KafkaClientSettings;
import com.dbmetrics.schemas.config.RedisEndpoint;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Set;
import java.util.TreeSet;

/**
 * The environment variables a process's configuration record reads, so that deployment descriptions
 * (docker-compose.yml, deploy/k8s) are checked against the code rather than against a list kept by hand.
 */
final class ConfigVariables {

    /** Credentials the shared client settings read through {@code Secret.fromEnv}: as NAME or as NAME_FILE. */
    private static final Set<String> ALSO_AS_FILE = Set.of(KafkaClientSettings.KAFKA_SASL_PASSWORD,
            KafkaClientSettings.KAFKA_SASL_JAAS_CONFIG, RedisEndpoint.REDIS_PASSWORD, PrometheusAuth.PROMETHEUS_PASSWORD);

    private ConfigVariables() {}

    /**
     * The variables of shared client settings (KafkaClientSettings, RedisEndpoint, the poller's PrometheusAuth) with
     * the {@code _FILE} variants of their credentials: a process reads them all, but each is optional (plaintext,
     * anonymous clients need none), so a deployment may set them without having to.
     */
    static Set<String> optional(Class<?>... types) {
        Set<String> names = new TreeSet<>();
        for (Class<?> type : types) {
            for (String name : of(type)) {
                names.add(name);
                if (ALSO_AS_FILE.contains(name)) {
                    names.add(name + "_FILE");
                }
            }
        }
        return names;
    }

    /** The environment variables a configuration record reads: its constants whose value is their own name. */
    static Set<String> of(Class<?> type) {
        Set<String> names = new TreeSet<>();
        for (Field field : type.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
                try {
                    Object value = field.get(null);
                    if (field.getName().equals(value)) {
                        names.add((String) value);
                    }
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        assertThat(names).as("variables of %s", type.getSimpleName()).isNotEmpty();
        return names;
    }
}

package com.dbmetrics.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Set;
import java.util.TreeSet;

/**
 * The environment variables a process's configuration record reads, so that deployment descriptions
 * (docker-compose.yml, deploy/k8s) are checked against the code rather than against a list kept by hand.
 */
final class ConfigVariables {

    private ConfigVariables() {}

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

package com.dbmetrics.poller.prometheus;

import com.dbmetrics.schemas.config.ConfigException;
import com.dbmetrics.schemas.config.Secret;
import com.dbmetrics.schemas.config.WatchedFile;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * A bearer token kept in a file that is replaced while the process runs (a Kubernetes projected service-account
 * token, rotated on disk): a {@link WatchedFile} looked at no more than once a second. A version of the file that
 * cannot be read or is empty keeps the last good token (logged, without its content).
 */
final class BearerTokenFile {

    static final Duration CHECK_EVERY = Duration.ofSeconds(1);

    private final WatchedFile<String> file;

    BearerTokenFile(Path path, Clock clock) {
        String initial;
        try {
            initial = read(path);
        } catch (ConfigException e) {
            throw new ConfigException(PrometheusAuth.PROMETHEUS_BEARER_TOKEN_FILE + " must name a readable, non-empty"
                    + " file but " + path + " is not");
        }
        this.file = new WatchedFile<>(PrometheusAuth.PROMETHEUS_BEARER_TOKEN_FILE, path, clock, CHECK_EVERY, initial,
                BearerTokenFile::read);
    }

    private static String read(Path path) {
        String token = Secret.readFile(PrometheusAuth.PROMETHEUS_BEARER_TOKEN_FILE, path);
        if (token.isEmpty()) {
            throw new ConfigException(PrometheusAuth.PROMETHEUS_BEARER_TOKEN_FILE + " is empty");
        }
        return token;
    }

    /** The token, read again first if the file changed and a second has passed since the last look. */
    String current() {
        return file.current();
    }
}

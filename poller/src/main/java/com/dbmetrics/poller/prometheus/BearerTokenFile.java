package com.dbmetrics.poller.prometheus;

import com.dbmetrics.schemas.config.ConfigException;
import com.dbmetrics.schemas.config.Secret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bearer token kept in a file that is replaced while the process runs (a Kubernetes projected service-account
 * token, rotated on disk). The file's modification time and size are looked at no more than once a second; when
 * either changed, the token is read again. A file that cannot be read or is empty keeps the last good token (logged,
 * without its content): a rotation caught half-written is retried a second later.
 */
final class BearerTokenFile {

    private static final Logger log = LoggerFactory.getLogger(BearerTokenFile.class);
    static final Duration CHECK_EVERY = Duration.ofSeconds(1);

    private final Path file;
    private final Clock clock;
    private String token;
    private FileTime modified;
    private long size = -1;
    private long checkedAt;

    BearerTokenFile(Path file, Clock clock) {
        this.file = file;
        this.clock = clock;
        this.checkedAt = clock.millis();
        if (!reload()) {
            throw new ConfigException(PrometheusAuth.PROMETHEUS_BEARER_TOKEN_FILE + " must name a readable, non-empty"
                    + " file but " + file + " is not");
        }
    }

    /** The token, read again first if the file changed and a second has passed since the last look. */
    synchronized String current() {
        long now = clock.millis();
        if (now - checkedAt >= CHECK_EVERY.toMillis()) {
            checkedAt = now;
            reload();
        }
        return token;
    }

    private boolean reload() {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            if (attributes.lastModifiedTime().equals(modified) && attributes.size() == size) {
                return true;
            }
            String read = Secret.readFile(PrometheusAuth.PROMETHEUS_BEARER_TOKEN_FILE, file);
            if (read.isEmpty()) {
                log.warn("Bearer token file {} is empty; keeping the previous token", file);
                return false;
            }
            boolean rotated = token != null;
            token = read;
            modified = attributes.lastModifiedTime();
            size = attributes.size();
            if (rotated) {
                log.info("Bearer token file {} changed; using the new token", file);
            }
            return true;
        } catch (IOException | ConfigException e) {
            log.warn("Bearer token file {} could not be read ({}); keeping the previous token", file,
                    e.getClass().getSimpleName());
            return false;
        }
    }
}

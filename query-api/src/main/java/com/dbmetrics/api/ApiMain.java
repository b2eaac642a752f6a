package com.dbmetrics.api;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Entry point of the query API process: configuration from the environment, then serve until SIGTERM. */
public final class ApiMain {

    private static final Logger log = LoggerFactory.getLogger(ApiMain.class);

    private ApiMain() {}

    public static void main(String[] args) throws Exception {
        ApiConfig config;
        try {
            config = ApiConfig.fromEnv(System.getenv());
        } catch (IllegalArgumentException e) {
            log.error("Refusing to start: {}", e.getMessage());
            System.exit(2);
            return;
        }
        QueryApi api = QueryApi.start(config, Clock.systemUTC(), Ticker.systemTicker());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Stopping query API");
            api.close();
            stopped.countDown();
        }, "api-shutdown"));
        stopped.await();
    }
}

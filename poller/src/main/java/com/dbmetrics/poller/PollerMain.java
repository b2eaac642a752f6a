package com.dbmetrics.poller;

import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Entry point of the poller process: configuration from the environment, then run until SIGTERM. */
public final class PollerMain {

    private static final Logger log = LoggerFactory.getLogger(PollerMain.class);

    private PollerMain() {}

    public static void main(String[] args) throws Exception {
        PollerConfig config;
        try {
            config = PollerConfig.fromEnv(System.getenv());
        } catch (IllegalArgumentException e) {
            log.error("Refusing to start: {}", e.getMessage());
            System.exit(2);
            return;
        }
        Poller poller = Poller.start(config, Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Stopping poller");
            poller.close();
            stopped.countDown();
        }, "poller-shutdown"));
        stopped.await();
    }
}

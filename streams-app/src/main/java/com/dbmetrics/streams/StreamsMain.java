package com.dbmetrics.streams;

import com.dbmetrics.streams.topology.MetricsTopology;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the streams-app process: configuration from the environment, then run until SIGTERM; or, with
 * {@code resync-redis}, rewrite Redis from {@code dbmetrics.latest.v1} and exit.
 */
public final class StreamsMain {

    private static final Logger log = LoggerFactory.getLogger(StreamsMain.class);

    private StreamsMain() {}

    public static void main(String[] args) throws Exception {
        boolean resync = args.length == 1 && "resync-redis".equals(args[0]);
        StreamsAppConfig config;
        try {
            config = resync ? StreamsAppConfig.forResyncRedis(System.getenv()) : StreamsAppConfig.fromEnv(System.getenv());
        } catch (IllegalArgumentException e) {
            log.error("Refusing to start: {}", e.getMessage());
            System.exit(2);
            return;
        }
        Clock clock = Clock.systemUTC(); // the one clock of the process
        if (resync) {
            System.exit(ResyncRedisCommand.run(config, clock));
            return;
        }
        if (args.length > 0) {
            log.error("Unknown command {}: run without arguments to start the streams-app, or: resync-redis",
                    String.join(" ", args));
            System.exit(2);
            return;
        }
        StreamsApp app = StreamsApp.create(config, MetricsTopology.TopicNames.DEFAULT, clock);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Stopping streams-app");
            app.close();
            stopped.countDown();
        }, "streams-shutdown"));
        try {
            app.start();
        } catch (RuntimeException e) { // a port in use, for one: every part started is stopped again
            log.error("Could not start the streams-app: {}", e.getMessage(), e);
            System.exit(1);
            return;
        }
        stopped.await();
    }
}

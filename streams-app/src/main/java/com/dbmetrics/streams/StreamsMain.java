package com.dbmetrics.streams;

import com.dbmetrics.streams.topology.MetricsTopology;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Entry point of the streams-app process: configuration from the environment, then run until SIGTERM. */
public final class StreamsMain {

    private static final Logger log = LoggerFactory.getLogger(StreamsMain.class);

    private StreamsMain() {}

    public static void main(String[] args) throws Exception {
        StreamsAppConfig config;
        try {
            config = StreamsAppConfig.fromEnv(System.getenv());
        } catch (IllegalArgumentException e) {
            log.error("Refusing to start: {}", e.getMessage());
            System.exit(2);
            return;
        }
        StreamsApp app = StreamsApp.start(config, MetricsTopology.TopicNames.DEFAULT);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Stopping streams-app");
            app.close();
            stopped.countDown();
        }, "streams-shutdown"));
        stopped.await();
    }
}

package com.dbmetrics.api;

import java.time.Clock;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the query API jar: with no argument, the API (configuration from the environment, then serve until
 * SIGTERM); {@code token ...} prints a development token ({@link TokenCommand}).
 */
public final class ApiMain {

    private static final Logger log = LoggerFactory.getLogger(ApiMain.class);

    private ApiMain() {}

    public static void main(String[] args) throws Exception {
        Clock clock = Clock.systemUTC();
        if (args.length > 0 && args[0].equals("token")) {
            System.exit(TokenCommand.run(Arrays.asList(args).subList(1, args.length), System.getenv(), clock,
                    System.out, System.err));
            return;
        }
        if (args.length > 0) {
            System.err.println("unknown command '" + args[0] + "': run without arguments to serve, or 'token'");
            System.exit(2);
            return;
        }
        ApiConfig config;
        try {
            config = ApiConfig.fromEnv(System.getenv());
        } catch (IllegalArgumentException e) {
            log.error("Refusing to start: {}", e.getMessage());
            System.exit(2);
            return;
        }
        QueryApi api = QueryApi.start(config, clock);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Stopping query API");
            api.drain();
            stopped.countDown();
        }, "api-shutdown"));
        stopped.await();
    }
}

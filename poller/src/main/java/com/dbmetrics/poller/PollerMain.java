package com.dbmetrics.poller;

import com.dbmetrics.poller.backfill.BackfillCommand;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the poller process: configuration from the environment, then poll until SIGTERM; or, with
 * {@code backfill --from T1 --to T2 [--database ID | --engine E] [--rate N]}, produce historical snapshots and exit.
 */
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
        if (args.length > 0 && "backfill".equals(args[0])) {
            System.exit(BackfillCommand.run(args, config));
            return;
        }
        if (args.length > 0) {
            log.error("Unknown command {}: run without arguments to poll, or: {}", args[0],
                    "backfill --from T1 --to T2 [--database ID | --engine E] [--rate N]");
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

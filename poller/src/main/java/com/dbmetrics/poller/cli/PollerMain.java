package com.dbmetrics.poller.cli;

import com.dbmetrics.poller.Poller;
import com.dbmetrics.poller.PollerConfig;
import com.dbmetrics.poller.backfill.BackfillCommand;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the poller jar, dispatching on its first argument: none polls until SIGTERM; {@code create-topics}
 * creates the topics of the Kafka contract and exits ({@link CreateTopicsCommand}); {@code backfill --from T1 --to T2
 * [--database ID | --engine E] [--rate N]} produces historical snapshots and exits. Configuration from the environment.
 */
public final class PollerMain {

    private static final Logger log = LoggerFactory.getLogger(PollerMain.class);
    private static final String USAGE = "run without arguments to poll, or: create-topics | "
            + "backfill --from T1 --to T2 [--database ID | --engine E] [--rate N]";

    private PollerMain() {}

    public static void main(String[] args) throws Exception {
        String command = args.length > 0 ? args[0] : "";
        if (command.equals("create-topics")) {
            quietKafkaClients(); // its lines are the output: the admin client's retry warnings would bury them
            System.exit(CreateTopicsCommand.run(args, System.getenv(), System.out, System.err));
            return;
        }
        if (!command.isEmpty() && !command.equals("backfill")) {
            log.error("Unknown command {}: {}", command, USAGE);
            System.exit(2);
            return;
        }
        PollerConfig config;
        try {
            config = PollerConfig.fromEnv(System.getenv());
        } catch (IllegalArgumentException e) {
            log.error("Refusing to start: {}", e.getMessage());
            System.exit(2);
            return;
        }
        if (command.equals("backfill")) {
            System.exit(BackfillCommand.run(args, config));
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

    private static void quietKafkaClients() {
        if (LoggerFactory.getLogger("org.apache.kafka") instanceof ch.qos.logback.classic.Logger kafka) {
            kafka.setLevel(ch.qos.logback.classic.Level.ERROR);
        }
    }
}

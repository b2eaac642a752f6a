package com.dbmetrics.poller.cli;

import com.dbmetrics.poller.publish.TopicBootstrap;
import com.dbmetrics.poller.publish.TopicBootstrap.Report;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;

/**
 * {@code java -jar dbmetrics-poller.jar create-topics}: creates the topics of the Kafka contract that are missing, from
 * the one definition ({@link TopicBootstrap#contract}) that {@code ./dbm}, compose and Kubernetes all run. Reads
 * {@link CreateTopicsConfig}'s variables. Idempotent: an existing topic is left as it is. Prints one line per topic to
 * {@code out}; exits 0 when every topic exists as defined, 1 with one line on {@code err} when Kafka cannot be
 * reached, refuses, a variable is invalid or a topic differs from its definition (partitions or cleanup policy), 2 on
 * unexpected arguments. Its output is its product, so it prints instead of logging.
 */
public final class CreateTopicsCommand {

    /** How long each step (list, create, describe) may wait for Kafka. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private CreateTopicsCommand() {}

    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        return run(args, env, out, err, TIMEOUT);
    }

    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err, Duration timeout) {
        if (args.length > 1) {
            err.println("create-topics: unexpected argument " + args[1] + " (it reads only the environment)");
            return 2;
        }
        CreateTopicsConfig config;
        try {
            config = CreateTopicsConfig.fromEnv(env);
        } catch (IllegalArgumentException e) {
            err.println("create-topics: " + e.getMessage());
            return 1;
        }
        String bootstrap = config.kafkaBootstrapServers();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis()))) {
            List<Report> reports = TopicBootstrap.apply(admin, config.topics(), timeout);
            reports.forEach(r -> out.println(r.line()));
            List<String> differing = reports.stream().filter(r -> r.outcome() == Report.Outcome.DIFFERS)
                    .map(Report::topic).toList();
            if (!differing.isEmpty()) {
                err.println("create-topics: " + differing.size() + " topic(s) differ from the definition: "
                        + String.join(", ", differing));
                return 1;
            }
            return 0;
        } catch (ExecutionException e) {
            err.println("create-topics: Kafka at " + bootstrap + " refused: " + message(e.getCause()));
            return 1;
        } catch (TimeoutException e) {
            err.println("create-topics: Kafka at " + bootstrap + " did not answer within " + timeout.toSeconds() + " s");
            return 1;
        } catch (KafkaException e) {
            err.println("create-topics: cannot reach Kafka at " + bootstrap + ": " + message(e));
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("create-topics: interrupted");
            return 1;
        }
    }

    /** The innermost message, on one line. */
    private static String message(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return text.replaceAll("\\s+", " ").trim();
    }
}

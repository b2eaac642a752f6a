package com.dbmetrics.api;

import com.dbmetrics.api.auth.TokenMinter;
import com.dbmetrics.schemas.Identifiers;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code token --user U --tenant DOMAIN/PROJECT [--tenant ...] [--admin] [--ttl SECONDS]}: prints a development token
 * the API accepts, signed with the API's HS256 secret ({@value ApiConfig#AUTH_JWT_SECRET_FILE} or
 * {@value ApiConfig#AUTH_JWT_SECRET}) and carrying {@value ApiConfig#AUTH_JWT_ISSUER} and
 * {@value ApiConfig#AUTH_JWT_AUDIENCE} when set. The token alone goes to stdout; a bad argument is one line on stderr
 * and exit status 2.
 */
final class TokenCommand {

    static final String USAGE = "usage: token --user U --tenant DOMAIN/PROJECT [--tenant ...] [--admin] [--ttl SECONDS]";
    static final long DEFAULT_TTL_SECONDS = 86_400;

    private TokenCommand() {}

    /** Runs the command; returns the exit status. */
    static int run(List<String> args, Map<String, String> env, Clock clock, PrintStream out, PrintStream err) {
        try {
            Request request = Request.parse(args);
            if (request == null) {
                out.println(USAGE);
                return 0;
            }
            Optional<String> secret = ApiConfig.jwtSecret(env);
            if (secret.isEmpty()) {
                throw new IllegalArgumentException(ApiConfig.AUTH_JWT_SECRET_FILE + " or " + ApiConfig.AUTH_JWT_SECRET
                        + " must be set (tokens are signed with the API's HS256 secret)");
            }
            TokenMinter minter = new TokenMinter(secret.get(), blankToNull(env.get(ApiConfig.AUTH_JWT_ISSUER)),
                    blankToNull(env.get(ApiConfig.AUTH_JWT_AUDIENCE)), clock);
            out.println(minter.mint(request.user(), request.tenants(), request.admin(), request.ttl()));
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("token: " + e.getMessage());
            return 2;
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** The parsed arguments; null from {@link #parse} means help was asked for. */
    record Request(String user, List<String> tenants, boolean admin, Duration ttl) {

        static Request parse(List<String> args) {
            String user = null;
            List<String> tenants = new ArrayList<>();
            boolean admin = false;
            long ttl = DEFAULT_TTL_SECONDS;
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                switch (arg) {
                    case "--user" -> user = value(args, ++i, arg);
                    case "--tenant" -> tenants.add(tenant(value(args, ++i, arg)));
                    case "--admin" -> admin = true;
                    case "--ttl" -> ttl = seconds(value(args, ++i, arg));
                    case "-h", "--help" -> {
                        return null;
                    }
                    default -> throw new IllegalArgumentException("unknown argument '" + arg + "'; " + USAGE);
                }
            }
            if (user == null || user.isBlank()) {
                throw new IllegalArgumentException("--user is required");
            }
            if (tenants.isEmpty() && !admin) {
                throw new IllegalArgumentException("give at least one --tenant DOMAIN/PROJECT");
            }
            return new Request(user, tenants, admin, Duration.ofSeconds(ttl));
        }

        private static String value(List<String> args, int index, String option) {
            if (index >= args.size()) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args.get(index);
        }

        private static String tenant(String tenant) {
            int slash = tenant.indexOf('/');
            String domain = slash < 0 ? tenant : tenant.substring(0, slash);
            String project = slash < 0 ? "" : tenant.substring(slash + 1);
            if (!Identifiers.isValid(domain) || !(project.equals("*") || Identifiers.isValid(project))) {
                throw new IllegalArgumentException("--tenant must be DOMAIN/PROJECT or DOMAIN/*, was '" + tenant + "'");
            }
            return tenant;
        }

        private static long seconds(String ttl) {
            if (!ttl.matches("[1-9][0-9]{0,9}")) {
                throw new IllegalArgumentException("--ttl must be a positive number of seconds, was '" + ttl + "'");
            }
            return Long.parseLong(ttl);
        }
    }
}

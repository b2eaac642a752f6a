package com.dbmetrics.api.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.staticfiles.Location;
import java.util.Map;

/**
 * The page at {@code /ui/}: static files from the jar's {@code /ui} folder, nothing fetched from elsewhere (users may
 * run it offline). It holds no data: it signs in with a token the user pastes and reads the API like any client. The
 * headers forbid everything the page does not need: scripts, styles and connections only from this origin, no
 * framing, no referrer.
 */
final class UiFiles {

    static final Map<String, String> HEADERS = Map.of(
            "Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                    + "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; "
                    + "frame-ancestors 'none'",
            "X-Content-Type-Options", "nosniff",
            "Referrer-Policy", "no-referrer",
            "Cache-Control", "no-cache");

    private UiFiles() {}

    static void serve(JavalinConfig cfg) {
        cfg.staticFiles.add(files -> {
            files.hostedPath = ApiServer.UI_PATH;
            files.directory = "/ui";
            files.location = Location.CLASSPATH;
            files.headers = HEADERS;
        });
        cfg.routes.get(ApiServer.UI_PATH, ctx -> ctx.redirect(ApiServer.UI_PATH + "/"));
    }
}

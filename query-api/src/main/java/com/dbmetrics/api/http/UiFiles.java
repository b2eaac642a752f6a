package com.dbmetrics.api.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.staticfiles.Location;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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
        byte[] index = index();
        // "/ui" and "/ui/" reach this route (trailing slashes are ignored in matching): the page itself, at "/ui/" so
        // that its relative links resolve under /ui/
        cfg.routes.get(ApiServer.UI_PATH, ctx -> {
            if (!ctx.path().endsWith("/")) {
                ctx.redirect(ApiServer.UI_PATH + "/");
                return;
            }
            HEADERS.forEach(ctx::header);
            ctx.contentType("text/html; charset=utf-8").result(index);
        });
    }

    private static byte[] index() {
        try (InputStream in = UiFiles.class.getResourceAsStream("/ui/index.html")) {
            if (in == null) {
                throw new IllegalStateException("the jar has no /ui/index.html");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

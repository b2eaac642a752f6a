package com.dbmetrics.schemas.testing;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A plain server-sent-events client for the tests: one HTTP/1.1 GET on a socket of its own (chunked body decoded),
 * its lines parsed as the HTML standard says ({@code id:}, {@code event:}, {@code data:}, comments), each event put in a queue by a reader
 * thread. Nothing of the code under test: what a browser's EventSource would see.
 */
public final class SseReader implements AutoCloseable {

    /** One event; {@code id} null when the event had none. */
    public record Event(String id, String type, String data) {}

    /** The stream's end (server closed, or the connection failed). */
    public static final Event END = new Event(null, "<end>", "");

    private final Socket socket;
    private final InputStream in;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Thread reader;
    private final int status;
    private final String contentType;
    private final String errorBody;
    private volatile int comments;

    private SseReader(Socket socket, String path, Map<String, String> headers) throws IOException {
        this.socket = socket;
        StringBuilder request = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\nHost: ")
                .append(socket.getInetAddress().getHostAddress()).append("\r\nAccept: text/event-stream\r\n")
                .append("Connection: close\r\n");
        headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
        socket.getOutputStream().write(request.append("\r\n").toString().getBytes(StandardCharsets.UTF_8));
        socket.getOutputStream().flush();
        InputStream raw = new BufferedInputStream(socket.getInputStream());
        String statusLine = line(raw);
        this.status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, String> answer = new HashMap<>();
        for (String h = line(raw); !h.isEmpty(); h = line(raw)) {
            int colon = h.indexOf(':');
            answer.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        this.contentType = answer.getOrDefault("content-type", "");
        this.in = "chunked".equalsIgnoreCase(answer.get("transfer-encoding")) ? new Chunked(raw) : raw;
        if (status != 200) {
            this.errorBody = answer.containsKey("content-length")
                    ? new String(in.readNBytes(Integer.parseInt(answer.get("content-length"))), StandardCharsets.UTF_8)
                    : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            this.reader = null;
            socket.close();
            return;
        }
        this.errorBody = null;
        this.reader = new Thread(this::read, "sse-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Opens {@code url} (http://host:port/path) with the headers (e.g. Authorization, Last-Event-ID) over a socket of
     * its own; fails only when it cannot connect.
     */
    public static SseReader open(String url, Map<String, String> headers) throws IOException {
        URI uri = URI.create(url);
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
        socket.setSoTimeout(60_000);
        return new SseReader(socket, uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()),
                headers);
    }

    /** One CRLF-ended line of ASCII. */
    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    /** A chunked body, decoded. */
    private static final class Chunked extends InputStream {
        private final InputStream in;
        private int left;
        private boolean done;

        Chunked(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (left == 0) {
                String size = line(in);
                left = Integer.parseInt(size.split(";")[0].trim(), 16);
                if (left == 0) {
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, Math.min(len, left));
            if (n < 0) {
                throw new IOException("connection closed in a chunk");
            }
            left -= n;
            if (left == 0) {
                line(in); // the CRLF after the chunk
            }
            return n;
        }
    }

    public int status() {
        return status;
    }

    public String contentType() {
        return contentType;
    }

    /** The body of an answer other than 200. */
    public String errorBody() {
        return errorBody;
    }

    /** Comment lines (heartbeats) seen so far. */
    public int comments() {
        return comments;
    }

    /** The next event within {@code wait}, or null; {@link #END} once the stream ended. */
    public Event next(Duration wait) throws InterruptedException {
        return events.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The next {@code n} events of {@code type}, skipping others; fails when they do not come within {@code wait}. */
    public List<Event> take(int n, String type, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        List<Event> taken = new ArrayList<>();
        while (taken.size() < n) {
            long left = deadline - System.nanoTime();
            Event e = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
            if (e == null || e == END) {
                throw new AssertionError("got " + taken.size() + " of " + n + " '" + type + "' events: "
                        + (e == END ? "the stream ended" : "none more within " + wait) + "; got " + taken);
            }
            if (type.equals(e.type())) {
                taken.add(e);
            }
        }
        return taken;
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(this.in, StandardCharsets.UTF_8))) {
            String id = null;
            String type = null;
            StringBuilder data = null;
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data != null) {
                        events.add(new Event(id, type == null ? "message" : type, data.toString()));
                    }
                    id = null;
                    type = null;
                    data = null;
                } else if (line.startsWith(":")) {
                    comments++;
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).trim();
                } else if (line.startsWith("event:")) {
                    type = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    String d = line.substring(5);
                    d = d.startsWith(" ") ? d.substring(1) : d;
                    data = data == null ? new StringBuilder(d) : data.append('\n').append(d);
                }
            }
        } catch (IOException e) {
            // closed by close() or by the server
        } finally {
            events.add(END);
        }
    }

    @Override
    public void close() {
        try {
            socket.close(); // the reader's blocked read fails at once
        } catch (IOException e) {
            // closed already
        }
    }
}

package com.dbmetrics.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One keep-alive HTTP/1.1 client connection of the open-loop generator, carrying one request at a time, with just
 * enough response parsing for a benchmark: status, {@code Content-Length} or chunked body, {@code X-Cache},
 * whether there is a {@code Retry-After}, {@code Connection: close}. Used only by the generator's I/O thread.
 */
final class HttpConnection {

    private static final int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
    private static final byte[] EMPTY_RESULT = "\"result\":[]".getBytes(StandardCharsets.US_ASCII);

    private final InetSocketAddress address;
    private SocketChannel channel;
    private SelectionKey key;
    private ByteBuffer in = ByteBuffer.allocate(8 * 1024);
    private ByteBuffer pending;

    /** The request in flight, or null when the connection is free. */
    OpenLoopRunner.Part inFlight;
    long sentAt;

    // the response being parsed
    private int headerEnd = -1;
    private int scanFrom;
    private long contentLength;
    private boolean chunked;
    private int chunkAt;

    // the last complete response
    int status;
    String cache;
    boolean retryAfter;
    boolean closeAfter;
    boolean emptyResult;

    HttpConnection(InetSocketAddress address) {
        this.address = address;
    }

    /**
     * Opens (or reopens) the connection with a blocking connect of at most {@code timeoutMillis}, then registers it
     * non-blocking for reads.
     */
    void open(Selector selector, int timeoutMillis) throws IOException {
        close();
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.socket().connect(address, timeoutMillis);
            ch.configureBlocking(false);
            key = ch.register(selector, SelectionKey.OP_READ, this);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        channel = ch;
        in.clear();
        resetParse();
    }

    boolean isOpen() {
        return channel != null;
    }

    void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing a broken connection: nothing left to do
            }
            channel = null;
            key = null;
        }
        pending = null;
        inFlight = null;
    }

    /** Writes a whole request; what the socket does not take now is written when it becomes writable. */
    void send(OpenLoopRunner.Part part, long now) throws IOException {
        inFlight = part;
        sentAt = now;
        ByteBuffer buffer = ByteBuffer.wrap(part.request());
        channel.write(buffer);
        if (buffer.hasRemaining()) {
            pending = buffer;
            key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
    }

    /** Continues a partial write. */
    void flush() throws IOException {
        if (pending != null) {
            channel.write(pending);
            if (!pending.hasRemaining()) {
                pending = null;
                key.interestOps(SelectionKey.OP_READ);
            }
        }
    }

    /** Reads what is there; false at end of stream. */
    boolean read() throws IOException {
        while (true) {
            if (!in.hasRemaining()) {
                if (in.capacity() >= MAX_RESPONSE_BYTES) {
                    throw new IOException("response larger than " + MAX_RESPONSE_BYTES + " bytes");
                }
                ByteBuffer bigger = ByteBuffer.allocate(in.capacity() * 2);
                in.flip();
                bigger.put(in);
                in = bigger;
            }
            int n = channel.read(in);
            if (n < 0) {
                return false;
            }
            if (n == 0 || in.hasRemaining()) { // the socket had less than the buffer holds: all there is for now
                return true;
            }
        }
    }

    /**
     * True when a whole response has been read: its fields ({@link #status}, {@link #cache}, ...) are set and its bytes
     * consumed.
     */
    boolean responseComplete(boolean checkEmpty) throws IOException {
        byte[] b = in.array();
        int n = in.position();
        if (headerEnd < 0) {
            int end = indexOf(b, scanFrom, n, (byte) '\r', (byte) '\n', (byte) '\r', (byte) '\n');
            if (end < 0) {
                scanFrom = Math.max(0, n - 3);
                return false;
            }
            headerEnd = end + 4;
            parseHead(new String(b, 0, headerEnd, StandardCharsets.ISO_8859_1));
            chunkAt = headerEnd;
        }
        int end;
        if (chunked) {
            end = chunkedEnd(b, n);
            if (end < 0) {
                return false;
            }
        } else {
            if (n < headerEnd + contentLength) {
                return false;
            }
            end = (int) (headerEnd + contentLength);
        }
        emptyResult = checkEmpty && indexOf(b, headerEnd, end, EMPTY_RESULT) >= 0;
        System.arraycopy(b, end, b, 0, n - end);
        in.position(n - end);
        resetParse();
        return true;
    }

    private void parseHead(String head) throws IOException {
        if (!head.startsWith("HTTP/1.") || head.length() < 12) {
            throw new IOException("not an HTTP/1.x response");
        }
        status = Integer.parseInt(head.substring(9, 12));
        cache = null;
        retryAfter = false;
        closeAfter = head.startsWith("HTTP/1.0");
        contentLength = -1;
        chunked = false;
        int line = head.indexOf("\r\n") + 2;
        while (line < head.length() - 2) {
            int eol = head.indexOf("\r\n", line);
            int colon = head.indexOf(':', line);
            if (colon > 0 && colon < eol) {
                String value = head.substring(colon + 1, eol).trim();
                if (head.regionMatches(true, line, "content-length", 0, colon - line)) {
                    contentLength = Long.parseLong(value);
                } else if (head.regionMatches(true, line, "transfer-encoding", 0, colon - line)) {
                    chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                } else if (head.regionMatches(true, line, "x-cache", 0, colon - line)) {
                    cache = value;
                } else if (head.regionMatches(true, line, "retry-after", 0, colon - line)) {
                    retryAfter = true;
                } else if (head.regionMatches(true, line, "connection", 0, colon - line)) {
                    closeAfter = value.equalsIgnoreCase("close") || (closeAfter && !value.equalsIgnoreCase("keep-alive"));
                }
            }
            line = eol + 2;
        }
        if (!chunked && contentLength < 0) {
            contentLength = 0; // no framing (only for bodiless answers here): read nothing more, reconnect
            closeAfter = status >= 200 && status != 204 && status != 304 || closeAfter;
        }
    }

    /** The end of a chunked body read so far, or -1 when it is not complete (trailers are not expected). */
    private int chunkedEnd(byte[] b, int n) throws IOException {
        while (true) {
            int eol = indexOf(b, chunkAt, n, (byte) '\r', (byte) '\n');
            if (eol < 0) {
                return -1;
            }
            String sizeField = new String(b, chunkAt, eol - chunkAt, StandardCharsets.ISO_8859_1);
            int semicolon = sizeField.indexOf(';');
            long size;
            try {
                size = Long.parseLong((semicolon >= 0 ? sizeField.substring(0, semicolon) : sizeField).trim(), 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size '" + sizeField + "'", e);
            }
            if (size == 0) {
                return n >= eol + 4 ? eol + 4 : -1;
            }
            long next = eol + 2 + size + 2;
            if (next > n) {
                return -1;
            }
            chunkAt = (int) next;
        }
    }

    private void resetParse() {
        headerEnd = -1;
        scanFrom = 0;
        chunkAt = 0;
    }

    private static int indexOf(byte[] b, int from, int to, byte... needle) {
        outer:
        for (int i = Math.max(0, from); i <= to - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (b[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}

package com.dbmetrics.api.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The warm-up's own HTTP/1.1 connection reads each kind of answer in full, so the next one starts where it should. */
class WarmupConnectionTest {

    /** Answers on one connection, in turn, until one closes it; then the next connection gets the rest. */
    private static final List<String> ANSWERS = List.of(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "4;ext=1\r\nabcd\r\n3\r\nefg\r\n0\r\nX-Trailer: t\r\n\r\n",
            "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nnope!",
            "HTTP/1.1 503 Service Unavailable\r\n\r\nread to the end",
            "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n");

    @Test
    void shouldReadChunkedSizedAndUnsizedAnswersAndReconnectAfterAClose() throws Exception {
        List<String> requests = new CopyOnWriteArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread serving = new Thread(() -> {
                int next = 0;
                try {
                    while (next < ANSWERS.size()) {
                        try (Socket s = server.accept()) {
                            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                                    StandardCharsets.US_ASCII));
                            OutputStream out = s.getOutputStream();
                            while (next < ANSWERS.size()) {
                                String requestLine = in.readLine();
                                String auth = null;
                                for (String h = in.readLine(); !h.isEmpty(); h = in.readLine()) {
                                    auth = h.startsWith("Authorization: ") ? h : auth;
                                }
                                requests.add(requestLine + " | " + auth);
                                String answer = ANSWERS.get(next++);
                                out.write(answer.getBytes(StandardCharsets.US_ASCII));
                                out.flush();
                                if (!answer.contains("Length") && !answer.contains("chunked")) {
                                    break; // unsized: the body ends where the connection does
                                }
                            }
                        }
                    }
                } catch (Exception e) {
                    requests.add("server failed: " + e);
                }
            });
            serving.setDaemon(true);
            serving.start();

            Warmup.Connection connection = new Warmup.Connection(new InetSocketAddress(
                    InetAddress.getLoopbackAddress(), server.getLocalPort()));
            assertThat(connection.get("/a", "t1")).isEqualTo(200);
            assertThat(connection.get("/b", "t2")).isEqualTo(404);
            assertThat(connection.get("/c", "t3")).isEqualTo(503);
            assertThat(connection.get("/d", "t4")).as("on a new connection").isEqualTo(429);
            connection.close();
            serving.join(5_000);
        }
        assertThat(requests).containsExactly("GET /a HTTP/1.1 | Authorization: Bearer t1",
                "GET /b HTTP/1.1 | Authorization: Bearer t2", "GET /c HTTP/1.1 | Authorization: Bearer t3",
                "GET /d HTTP/1.1 | Authorization: Bearer t4");
    }

    @Test
    void shouldCountNoAnswerAsStatusZero() throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        assertThat(new Warmup.Connection(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).get("/x", "t"))
                .isZero();
    }
}

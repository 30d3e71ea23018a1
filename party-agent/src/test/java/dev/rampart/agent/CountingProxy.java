package dev.rampart.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 that counts the bytes each way and can be pointed at another backend: the wire
 * the tests assert on ("no data byte was sent") and the man in the middle they play.
 */
final class CountingProxy implements AutoCloseable {
  private final ServerSocket server;
  private volatile int backendPort;
  final AtomicLong clientToServer = new AtomicLong();
  final AtomicLong serverToClient = new AtomicLong();
  private final List<Socket> open = new CopyOnWriteArrayList<>();

  CountingProxy(int backendPort) throws IOException {
    this.backendPort = backendPort;
    this.server = new ServerSocket();
    server.bind(new InetSocketAddress("127.0.0.1", 0));
    Thread t = new Thread(this::accept, "proxy-accept");
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return server.getLocalPort();
  }

  void retarget(int port) {
    backendPort = port;
  }

  /** Cuts every open connection (as a network failure or an attacker would). */
  void dropConnections() throws IOException {
    for (Socket s : open) {
      s.close();
    }
    open.clear();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket backend = new Socket("127.0.0.1", backendPort);
        open.add(client);
        open.add(backend);
        pump(client, backend, clientToServer);
        pump(backend, client, serverToClient);
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void pump(Socket from, Socket to, AtomicLong counter) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[1 << 16];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n; (n = in.read(buf)) > 0; ) {
          counter.addAndGet(n);
          out.write(buf, 0, n);
        }
      } catch (IOException e) {
        // one side closed
      } finally {
        try {
          from.close();
          to.close();
        } catch (IOException ignored) {
          // closing
        }
      }
    }, "proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    server.close();
    dropConnections();
  }
}

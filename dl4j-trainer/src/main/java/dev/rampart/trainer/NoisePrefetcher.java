package dev.rampart.trainer;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Generates each step's noise vector ahead of time on a background thread: noise does not depend on the data,
 * so the next step's noise can be drawn while the current step's matrices are multiplied. Drawing one secure
 * Gaussian per parameter per step (four samples each in secure mode) would otherwise take as long as the step.
 * Each buffer is handed out once and refilled with fresh noise before it is handed out again: noise is never
 * reused. Close it when training ends.
 */
final class NoisePrefetcher implements AutoCloseable {
  private final BlockingQueue<float[]> ready = new ArrayBlockingQueue<>(2);
  private final BlockingQueue<float[]> empty = new ArrayBlockingQueue<>(2);
  private final Thread worker;
  private volatile boolean closed;
  private volatile Throwable failure;

  /** @param std the standard deviation of every noise value (σC) */
  NoisePrefetcher(GaussianNoise noise, int size, double std) {
    empty.add(new float[size]);
    empty.add(new float[size]);
    worker = new Thread(() -> {
      try {
        while (!closed) {
          float[] buffer = empty.take();
          java.util.Arrays.fill(buffer, 0f);
          noise.addTo(buffer, std);
          ready.put(buffer);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Throwable e) { // an Error too: the trainer must not wait forever for noise that never comes
        failure = e;
      }
    }, "rampart-noise");
    worker.setDaemon(true);
    worker.start();
  }

  /** The next fresh noise vector; give it back with {@link #recycle} once it has been added. */
  float[] take() {
    try {
      while (true) {
        float[] b = ready.poll(1, java.util.concurrent.TimeUnit.SECONDS);
        if (b != null) {
          return b;
        }
        if (failure != null) {
          throw new IllegalStateException("noise generation failed", failure);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for noise", e);
    }
  }

  void recycle(float[] used) {
    empty.add(used);
  }

  @Override
  public void close() {
    closed = true;
    worker.interrupt();
    try {
      worker.join(10_000); // the stream it draws from must be left alone once close returns
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

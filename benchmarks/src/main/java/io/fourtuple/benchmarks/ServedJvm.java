package io.fourtuple.benchmarks;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM that stays up and runs measured slices on request (the {@code --serve} protocol of
 * {@code ConnectLoop}): one request line in, one answer line out. Several of these, one per
 * configuration, let the harness interleave configurations every few hundred milliseconds, so slow
 * drift in the machine falls on all of them alike. Standard error goes to a file, read at the end.
 */
final class ServedJvm {
  private final String name;
  private final List<String> command;
  private final File stderrFile;
  private final Process process;
  private final BufferedReader out;
  private final Writer in;

  ServedJvm(String name, List<String> command, File scratch) {
    this.name = name;
    this.command = command;
    this.stderrFile = new File(scratch, "served-" + name + ".err");
    try {
      process = ChildJvm.isolated(new ProcessBuilder(command)).redirectError(stderrFile).start();
    } catch (IOException e) {
      throw new BenchmarkFailure("cannot start " + command + ": " + e);
    }
    out =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
    in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII);
  }

  /** Waits for the child's {@code READY}. */
  void awaitReady() {
    String line = readLine();
    if (!line.equals("READY")) {
      throw failure("expected READY, got: " + line);
    }
  }

  /** Sends one request and returns the answer line. The harness blocks meanwhile (no CPU use). */
  String request(String request) {
    try {
      in.write(request + "\n");
      in.flush();
    } catch (IOException e) {
      throw failure("cannot send " + request + ": " + e);
    }
    String answer = readLine();
    if (answer.startsWith("ERROR")) {
      throw failure(answer);
    }
    return answer;
  }

  /** Ends the child and returns its standard error. */
  String exit() {
    try {
      in.write("EXIT\n");
      in.flush();
      in.close();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw failure("did not exit within 30 s of EXIT");
      }
      if (process.exitValue() != 0) {
        throw failure("exit code " + process.exitValue());
      }
      return stderr();
    } catch (IOException e) {
      throw failure("cannot end: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure("interrupted");
    }
  }

  /** Kills the child if it is still running (after a failure elsewhere). */
  void destroy() {
    process.destroyForcibly();
  }

  private String readLine() {
    try {
      String line = out.readLine();
      if (line == null) {
        process.waitFor(5, TimeUnit.SECONDS);
        throw failure("the child JVM ended unexpectedly");
      }
      return line;
    } catch (IOException e) {
      throw failure("cannot read from the child: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure("interrupted");
    }
  }

  private String stderr() {
    try {
      return new String(Files.readAllBytes(stderrFile.toPath()), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + stderrFile + ": " + e + ")";
    }
  }

  private BenchmarkFailure failure(String problem) {
    return new BenchmarkFailure(
        "config "
            + name
            + ": "
            + problem
            + "\n  command: "
            + String.join(" ", command)
            + "\n  stderr:\n"
            + stderr());
  }
}

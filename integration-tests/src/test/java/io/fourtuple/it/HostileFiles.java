package io.fourtuple.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * What a hostile neighbour plants, and how a test proves nothing it aimed at changed: jars with a
 * valid {@code Agent-Class} that leave a marker if they ever run, an impostor of the agent class
 * for a hostile target, host directories with a canary, and snapshots of directory trees taken
 * without following links.
 */
final class HostileFiles {
  /** Where planted code would leave its mark, in the JVM's own {@code /tmp}. */
  static final String MARKER = "/tmp/PLANTED-CODE-RAN";

  private HostileFiles() {}

  /**
   * A jar of exactly {@code size} bytes whose {@code Agent-Class} and {@code Premain-Class} write
   * {@link #MARKER} when loaded or run.
   */
  static byte[] plantedAgentJar(Path work, long size) throws IOException {
    Map<String, byte[]> classes =
        compile(
            work,
            "Planted",
            "public class Planted {\n"
                + "  static { mark(\"loaded\"); }\n"
                + "  public static void agentmain(String a, java.lang.instrument.Instrumentation i)"
                + " { mark(\"agentmain\"); }\n"
                + "  public static void premain(String a, java.lang.instrument.Instrumentation i)"
                + " { mark(\"premain\"); }\n"
                + "  static void mark(String how) {\n"
                + "    try { java.nio.file.Files.write(java.nio.file.Paths.get(\""
                + MARKER
                + "\"), how.getBytes()); } catch (Exception e) { }\n"
                + "  }\n"
                + "}\n");
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().putValue("Agent-Class", "Planted");
    manifest.getMainAttributes().putValue("Premain-Class", "Planted");
    // A stored entry of n zero bytes adds exactly n bytes once its headers are there.
    long zeros = size - jar(manifest, classes, 0).length;
    if (zeros < 0) {
      throw new IllegalStateException("a planted jar cannot be as small as " + size);
    }
    byte[] jar = jar(manifest, classes, (int) zeros);
    assertEquals(size, jar.length, "planted jar size");
    return jar;
  }

  /**
   * A jar with a class named like the agent's entry class, {@code
   * io.fourtuple.agent.FourtupleAgent}, for the class path of a hostile target: when the command
   * line loads the real jar, the JVM runs this class instead (its class path comes first), which
   * plants what {@code /srv/impostor-mode} says into the command line's private directory, next to
   * the reply.
   */
  static byte[] impostorJar(Path work, String victim) throws IOException {
    String source =
        "package io.fourtuple.agent;\n"
            + "import java.nio.file.*;\n"
            + "public class FourtupleAgent {\n"
            + "  public static void agentmain(String args, java.lang.instrument.Instrumentation i)"
            + " throws Exception {\n"
            + "    String reply = null;\n"
            + "    for (String kv : args.split(\",\")) {\n"
            + "      if (kv.startsWith(\"reply=\")) { reply = kv.substring(6); }\n"
            + "    }\n"
            + "    Path r = Paths.get(reply);\n"
            + "    Path dir = r.getParent();\n"
            + "    Path victim = Paths.get(\""
            + victim
            + "\");\n"
            + "    String mode = new String(Files.readAllBytes(Paths.get(\"/srv/impostor-mode\")))"
            + ".trim();\n"
            + "    if (mode.equals(\"link\")) {\n"
            + "      Files.createSymbolicLink(r, victim);\n"
            + "      Files.createSymbolicLink(dir.resolve(\"tree\"), victim.getParent());\n"
            + "      Files.createDirectory(dir.resolve(\"sub\"));\n"
            + "      Files.write(dir.resolve(\"sub/inner\"), \"theirs\".getBytes());\n"
            + "    } else if (mode.equals(\"fifo\")) {\n"
            + "      new ProcessBuilder(\"mkfifo\", r.toString()).start().waitFor();\n"
            + "    } else if (mode.equals(\"swap\")) {\n"
            + "      Path moved = dir.resolveSibling(dir.getFileName() + \"-moved\");\n"
            + "      Files.move(dir, moved);\n"
            + "      Files.createSymbolicLink(dir, victim.getParent());\n"
            + "      Files.createSymbolicLink(moved.resolve(\"reply\"), victim);\n"
            + "    }\n"
            + "    System.out.println(\"IMPOSTOR planted \" + mode + \" for \" + reply);\n"
            + "  }\n"
            + "}\n";
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    return jar(manifest, compile(work, "io.fourtuple.agent.FourtupleAgent", source), -1);
  }

  /** A directory outside any container, with a canary file and a subdirectory. */
  static Path hostDirectory() throws IOException {
    Path dir = Files.createTempDirectory(Paths.get("/var/tmp"), "fourtuple-host-");
    Files.writeString(dir.resolve("canary"), "precious\n");
    Files.createDirectory(dir.resolve("tree"));
    Files.writeString(dir.resolve("tree/inside"), "also precious\n");
    return dir;
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /**
   * Everything under {@code dir} (links not followed): per relative path its type, mode, owner,
   * size, modification time and content hash or link target; for {@code dir} itself only type, mode
   * and owner (its entries say what was added or removed). Entries {@code skip} accepts (by
   * relative path) are left out.
   */
  static Map<String, String> snapshot(Path dir, Predicate<String> skip) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.toList()) {
        String name = dir.relativize(p).toString();
        if (!name.isEmpty() && skip.test(name)) {
          continue;
        }
        Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
        StringBuilder what = new StringBuilder();
        what.append(Integer.toOctalString((Integer) a.get("mode")))
            .append(" uid=")
            .append(a.get("uid"));
        if (name.isEmpty()) {
          out.put(".", what.toString());
          continue;
        }
        what.append(" size=")
            .append(a.get("size"))
            .append(" mtime=")
            .append(a.get("lastModifiedTime"));
        if (Files.isSymbolicLink(p)) {
          what.append(" -> ").append(Files.readSymbolicLink(p));
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          what.append(" sha256=").append(sha256(Files.readAllBytes(p)));
        }
        out.put(name, what.toString());
      }
    }
    return out;
  }

  /** What the JVM itself makes in its {@code /tmp}: its attach socket and its perf data. */
  static boolean jvmOwn(String relative) {
    return relative.startsWith(".java_pid") || relative.startsWith("hsperfdata_");
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, byte[]> compile(Path work, String className, String source)
      throws IOException {
    Path src = work.resolve("src").resolve(className.replace('.', '/') + ".java");
    Path classes = work.resolve("classes-" + className);
    Files.createDirectories(src.getParent());
    Files.createDirectories(classes);
    Files.writeString(src, source);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
    int rc =
        javac.run(
            null,
            diagnostics,
            diagnostics,
            "--release",
            "8",
            "-Xlint:-options",
            "-d",
            classes.toString(),
            src.toString());
    if (rc != 0) {
      throw new IllegalStateException(diagnostics.toString(StandardCharsets.UTF_8));
    }
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (Stream<Path> all = Files.walk(classes)) {
      for (Path p : all.filter(Files::isRegularFile).toList()) {
        out.put(classes.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return out;
  }

  /**
   * A jar: the manifest, the classes, and unless {@code zeros} is negative, a stored entry of that
   * many zero bytes.
   */
  private static byte[] jar(Manifest manifest, Map<String, byte[]> classes, int zeros)
      throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
      for (Map.Entry<String, byte[]> c : classes.entrySet()) {
        out.putNextEntry(new ZipEntry(c.getKey()));
        out.write(c.getValue());
        out.closeEntry();
      }
      if (zeros >= 0) {
        byte[] padding = new byte[zeros];
        ZipEntry pad = new ZipEntry("padding");
        pad.setMethod(ZipEntry.STORED);
        pad.setSize(padding.length);
        pad.setCompressedSize(padding.length);
        CRC32 crc = new CRC32();
        crc.update(padding);
        pad.setCrc(crc.getValue());
        out.putNextEntry(pad);
        out.write(padding);
        out.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  static List<String> lines(String text) {
    return text.lines().filter(l -> !l.isBlank()).toList();
  }
}

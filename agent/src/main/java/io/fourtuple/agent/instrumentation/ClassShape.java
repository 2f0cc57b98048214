package io.fourtuple.agent.instrumentation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.FieldVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * The declared fields and methods of a class file, read without its code, so a hook can be chosen
 * from what the running JDK's class really has rather than from its version string.
 */
final class ClassShape {
  final String internalName;
  private final Map<String, String> fieldDescriptors = new HashMap<String, String>();
  private final Set<String> methods = new HashSet<String>();

  private ClassShape(String internalName) {
    this.internalName = internalName;
  }

  static ClassShape read(ClassReader reader) {
    final ClassShape shape = new ClassShape(reader.getClassName());
    reader.accept(
        new ClassVisitor(Opcodes.ASM9) {
          @Override
          public FieldVisitor visitField(
              int access, String name, String descriptor, String signature, Object value) {
            shape.fieldDescriptors.put(name, descriptor);
            return null;
          }

          @Override
          public MethodVisitor visitMethod(
              int access, String name, String descriptor, String signature, String[] exceptions) {
            shape.methods.add(name + descriptor);
            return null;
          }
        },
        ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
    return shape;
  }

  /** The descriptor of a field this class declares, or null. */
  String field(String name) {
    return fieldDescriptors.get(name);
  }

  /** The descriptors of the methods named {@code name} (constructors: {@code <init>}). */
  List<String> descriptors(String name) {
    List<String> found = new ArrayList<String>();
    for (String method : methods) {
      if (method.startsWith(name + "(")) {
        found.add(method.substring(name.length()));
      }
    }
    return found;
  }

  boolean hasMethod(String name, String descriptor) {
    return methods.contains(name + descriptor);
  }
}

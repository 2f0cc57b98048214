package io.fourtuple.agent.instrumentation;

import java.util.ArrayList;
import java.util.List;
import net.bytebuddy.jar.asm.Label;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

/**
 * Weaves one {@link MethodHook} into a method as the JVM loads (or retransforms) its class.
 *
 * <p>The throw hook is a catch-all handler appended after the method's last instruction and
 * registered last in the exception table, so the method's own handlers keep precedence; it calls
 * the hook and rethrows the same throwable. Its stack map frame is written by hand (locals: {@code
 * this} and the parameters, whose slots javac never reuses with another type; stack: the
 * throwable), so no frame is computed and no class is loaded to compute one: computing frames
 * inside a transformer can load classes and deadlock.
 */
final class HookingMethodVisitor extends MethodVisitor {
  private final MethodHook hook;
  private final String owner;
  private final Label start = new Label();
  private final Label end = new Label();
  private final Label handler = new Label();

  HookingMethodVisitor(MethodVisitor delegate, MethodHook hook, String owner) {
    super(Opcodes.ASM9, delegate);
    this.hook = hook;
    this.owner = owner;
  }

  @Override
  public void visitCode() {
    super.visitCode();
    hook.onEnter(mv);
    if (hook.hooksThrow()) {
      mv.visitLabel(start);
    }
  }

  @Override
  public void visitInsn(int opcode) {
    if (hook.hooksReturn() && opcode >= Opcodes.IRETURN && opcode <= Opcodes.RETURN) {
      hook.beforeReturn(mv);
    }
    super.visitInsn(opcode);
  }

  @Override
  public void visitMethodInsn(
      int opcode, String owner, String name, String descriptor, boolean isInterface) {
    hook.beforeCall(mv, owner, name, descriptor);
    super.visitMethodInsn(opcode, owner, name, descriptor, isInterface);
  }

  @Override
  public void visitMaxs(int maxStack, int maxLocals) {
    if (hook.hooksThrow()) {
      mv.visitLabel(end);
      mv.visitLabel(handler);
      Object[] locals = handlerLocals();
      mv.visitFrame(Opcodes.F_FULL, locals.length, locals, 1, new Object[] {"java/lang/Throwable"});
      hook.onThrow(mv);
      mv.visitInsn(Opcodes.ATHROW);
      mv.visitTryCatchBlock(start, end, handler, null);
    }
    super.visitMaxs(maxStack, maxLocals);
  }

  private Object[] handlerLocals() {
    List<Object> locals = new ArrayList<Object>();
    locals.add(owner);
    for (Type parameter : Type.getArgumentTypes(hook.descriptor)) {
      switch (parameter.getSort()) {
        case Type.BOOLEAN:
        case Type.BYTE:
        case Type.CHAR:
        case Type.SHORT:
        case Type.INT:
          locals.add(Opcodes.INTEGER);
          break;
        case Type.LONG:
          locals.add(Opcodes.LONG);
          break;
        case Type.FLOAT:
          locals.add(Opcodes.FLOAT);
          break;
        case Type.DOUBLE:
          locals.add(Opcodes.DOUBLE);
          break;
        default:
          locals.add(parameter.getInternalName());
          break;
      }
    }
    return locals.toArray();
  }
}

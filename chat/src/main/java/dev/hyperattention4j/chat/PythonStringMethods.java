package dev.hyperattention4j.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * The Python {@code str} methods that Hugging Face chat templates call on message text ({@code content.strip()},
 * {@code role.startswith('sys')}, {@code text.split('\n')}, ...). Jinja evaluates them as Python; Jinjava would
 * otherwise look for Java methods of the same name, which either do not exist ({@code startswith}) or differ
 * ({@code split} takes a regular expression). Only string receivers are handled; everything else falls through to
 * Jinjava's own resolvers.
 */
final class PythonStringMethods extends ELResolver {
    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || method == null) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result = call(s, method.toString(), args);
        if (result != NOT_HANDLED) {
            context.setPropertyResolved(true);
            return result;
        }
        return null;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object call(String s, String name, Object[] a) {
        return switch (name) {
            case "strip" -> a.length == 0 ? s.strip() : rstrip(lstrip(s, str(a[0])), str(a[0]));
            case "lstrip" -> a.length == 0 ? s.stripLeading() : lstrip(s, str(a[0]));
            case "rstrip" -> a.length == 0 ? s.stripTrailing() : rstrip(s, str(a[0]));
            case "startswith" -> a.length == 1 ? s.startsWith(str(a[0])) : NOT_HANDLED;
            case "endswith" -> a.length == 1 ? s.endsWith(str(a[0])) : NOT_HANDLED;
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s
                    : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "split" -> a.length == 0 || a[0] == null ? splitWhitespace(s) : split(s, str(a[0]));
            case "replace" -> a.length == 2 ? s.replace(str(a[0]), str(a[1])) : NOT_HANDLED;
            case "find" -> a.length == 1 ? s.indexOf(str(a[0])) : NOT_HANDLED;
            default -> NOT_HANDLED;
        };
    }

    private static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    private static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        return s.substring(i);
    }

    private static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && chars.indexOf(s.charAt(j - 1)) >= 0) {
            j--;
        }
        return s.substring(0, j);
    }

    private static List<String> splitWhitespace(String s) {
        String t = s.strip();
        return t.isEmpty() ? new ArrayList<>() : new ArrayList<>(Arrays.asList(t.split("\\s+")));
    }

    /** Python's {@code str.split(sep)}: a literal separator, empty pieces kept. */
    private static List<String> split(String s, String sep) {
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        List<String> out = new ArrayList<>();
        int from = 0;
        for (int at = s.indexOf(sep); at >= 0; at = s.indexOf(sep, from)) {
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean previousLetter = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(previousLetter ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousLetter = Character.isLetter(c);
        }
        return b.toString();
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // read-only: never resolves a property
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}

package dev.hyperattention4j.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The accepted values of a numeric option (or of every element of a list option), checked by {@link OptionRanges}
 * after parsing and before any work. Every numeric option carries it or {@link AnyValue} (tested).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD, ElementType.METHOD})
public @interface Range {
    double min();

    double max();

    /** What the bound protects or means, shown after the range (e.g. "0 = all"). */
    String note() default "";
}

package dev.hyperattention4j.chat;

/** Functions that Hugging Face chat templates expect from their environment, bound into Jinjava by name. */
public final class TemplateFunctions {
    /** What {@code raise_exception} throws: the template's own message about an unsupported conversation. */
    static final class Raised extends RuntimeException {
        Raised(String message) {
            super(message, null, false, false);
        }
    }

    private TemplateFunctions() {
    }

    /** {@code raise_exception('Conversation roles must alternate ...')}: stops the render with that message. */
    public static String raiseException(String message) {
        throw new Raised(message);
    }
}

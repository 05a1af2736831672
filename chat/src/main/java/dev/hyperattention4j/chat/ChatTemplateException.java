package dev.hyperattention4j.chat;

/**
 * A chat template that cannot be used: the model has none, the template does not parse, or rendering failed (for
 * example the template's own {@code raise_exception} rejected the conversation). The message is one line meant for
 * the user.
 */
public final class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String message) {
        super(message);
    }
}

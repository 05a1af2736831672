package dev.hyperattention4j.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import jinjava.javax.el.CompositeELResolver;

/**
 * A model's own chat template (the Jinja text that Hugging Face and llama.cpp use to turn a conversation into a
 * prompt), rendered by Jinjava the way {@code transformers}' {@code apply_chat_template} renders it: blocks trimmed
 * ({@code trim_blocks}, {@code lstrip_blocks}), the variables {@code messages}, {@code add_generation_prompt},
 * {@code bos_token} and {@code eos_token}, the function {@code raise_exception(message)}, Python's string methods on
 * message text, and Jinja's operator precedence (a filter binds tighter than {@code +}).
 *
 * <p>Immutable and thread-safe: each render gets its own interpreter.
 */
public final class ChatTemplate {
    /** Longest prompt text a render may produce (characters): a runaway template loop stops here. */
    static final long MAX_OUTPUT_CHARS = 64L << 20;
    /**
     * Jinja's {@code lstrip_blocks}: spaces and tabs from the start of a line up to a block or comment tag. Applied
     * to the source here because Jinjava's own option also strips them in the middle of a line ("] {% endif %}"
     * loses its space), which Jinja does not.
     */
    private static final Pattern LINE_START_BEFORE_TAG = Pattern.compile("(?m)^[ \\t]+(?=\\{[%#](?![+]))");
    /** {@code {% for x in xs if cond %}}: a loop filter, which Jinjava parses but ignores. */
    private static final Pattern LOOP_FILTER = Pattern.compile("\\{%-?\\s*for\\s[^%]*?\\sin\\s[^%]*?\\sif\\s[^%]*%}");

    private final String source;
    private final String origin;
    private final String bosToken;
    private final String eosToken;
    private final boolean addBos;
    private final Jinjava jinjava;
    private final String prepared;

    /**
     * @param source   the Jinja text
     * @param origin   where it came from, for messages ("tokenizer_config.json of MODEL")
     * @param bosToken the text of the model's BOS token ("" when it has none)
     * @param eosToken the text of the model's EOS token ("" when it has none)
     * @param addBos   whether the model's tokenizer puts BOS in front of a prompt that does not start with it
     */
    public ChatTemplate(String source, String origin, String bosToken, String eosToken, boolean addBos) {
        this.source = Objects.requireNonNull(source, "template source");
        this.origin = Objects.requireNonNull(origin, "origin");
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.addBos = addBos;
        if (source.isBlank()) {
            throw new ChatTemplateException("the chat template in " + origin + " is empty");
        }
        java.util.regex.Matcher filter = LOOP_FILTER.matcher(source);
        if (filter.find()) {
            throw new ChatTemplateException("the chat template in " + origin + " filters a loop ('" + filter.group()
                    + "'), which the Jinja engine here (Jinjava) does not support");
        }
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(false)
                .withElResolver(resolver)
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build();
        this.jinjava = new Jinjava(config);
        this.prepared = LINE_START_BEFORE_TAG.matcher(source).replaceAll("");
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                TemplateFunctions.class, "raiseException", String.class));
    }

    public String source() { return source; }

    /** Where the template was read from. */
    public String origin() { return origin; }

    public String bosToken() { return bosToken; }

    public String eosToken() { return eosToken; }

    /**
     * The prompt text of a conversation.
     *
     * @param addGenerationPrompt end with the header that opens the assistant's turn (what a chat request wants)
     * @throws ChatTemplateException naming the template's origin when the template fails or rejects the messages
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> turns = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> turn = new LinkedHashMap<>();
            turn.put("role", m.role());
            turn.put("content", m.content());
            turns.add(turn);
        }
        Map<String, Object> context = new HashMap<>();
        context.put("messages", turns);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        RenderResult result;
        try {
            result = jinjava.renderForResult(prepared, context);
        } catch (TemplateFunctions.Raised e) {
            throw new ChatTemplateException("the chat template in " + origin + " rejected the conversation: "
                    + e.getMessage());
        } catch (RuntimeException e) {
            throw new ChatTemplateException("the chat template in " + origin + " failed: " + e.getMessage());
        }
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException(describe(e));
            }
        }
        return result.getOutput();
    }

    private String describe(TemplateError e) {
        Throwable cause = e.getException();
        while (cause != null && !(cause instanceof TemplateFunctions.Raised)) {
            cause = cause.getCause();
        }
        if (cause != null) {
            return "the chat template in " + origin + " rejected the conversation: " + cause.getMessage();
        }
        return "the chat template in " + origin + " failed at line " + e.getLineno() + ": " + e.getMessage();
    }

    /**
     * Token ids of a conversation followed by the assistant's header, as a chat request sends it to the model. The
     * special tokens that the template writes as text ({@code <|im_start|>}, {@code [INST]}, BOS) become their ids;
     * BOS is added in front only when the template did not write it and the model's tokenizer adds one.
     */
    public int[] encode(Tokenizer tokenizer, List<ChatMessage> messages) {
        String text = render(messages, true);
        boolean templateWroteBos = !bosToken.isEmpty() && text.startsWith(bosToken);
        int[] ids = tokenizer.encode(text, addBos && !templateWroteBos && tokenizer.bosId() >= 0);
        if (ids.length == 0) {
            throw new ChatTemplateException("the chat template in " + origin + " rendered an empty prompt");
        }
        return ids;
    }
}

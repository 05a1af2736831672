package dev.hyperattention4j.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ChatTemplateTest {
    static Stream<Arguments> shapes() {
        return Arrays.stream(TemplateShapes.EXPECTED).map(Arguments::of);
    }

    @ParameterizedTest(name = "{1} {3}")
    @MethodSource("shapes")
    @SuppressWarnings("unchecked")
    void rendersLikeTheReferenceJinja(String source, String name, List<ChatMessage> conversation,
                                      boolean generationPrompt, String expected, String error) {
        ChatTemplate t = new ChatTemplate(source, name, "<s>", "</s>", true);
        if (error == null) {
            assertThat(t.render(conversation, generationPrompt)).isEqualTo(expected);
        } else {
            assertThatThrownBy(() -> t.render(conversation, generationPrompt))
                    .isInstanceOf(ChatTemplateException.class)
                    .hasMessage("the chat template in " + name + " rejected the conversation: " + error);
        }
    }

    @Test
    void aSyntaxErrorNamesTheTemplateAndLine() {
        ChatTemplate t = new ChatTemplate("{% for m in messages %}{{ m['content'] }}", "test.gguf", "", "", false);
        assertThatThrownBy(() -> t.render(TemplateShapes.MULTI_TURN, true))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageStartingWith("the chat template in test.gguf failed at line 1");
    }

    @Test
    void aLoopFilterIsRefusedNotIgnored() {
        assertThatThrownBy(() -> new ChatTemplate("{% for m in messages if m['role'] != 'system' %}{{ m['content'] }}"
                + "{% endfor %}", "cfg", "", "", false))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("filters a loop ('{% for m in messages if m['role'] != 'system' %}')");
    }

    @Test
    void anEmptyTemplateIsRefused() {
        assertThatThrownBy(() -> new ChatTemplate("  ", "config", "", "", false))
                .isInstanceOf(ChatTemplateException.class).hasMessageContaining("is empty");
    }

    @Test
    void pythonStringMethodsFollowPython() {
        ChatTemplate t = new ChatTemplate("{{ messages[0]['content'].split(',') | join('|') }};"
                + "{{ messages[0]['content'].lstrip('a') }};{{ messages[0]['content'].endswith('c') }};"
                + "{{ messages[0]['content'].title() }};{{ messages[0]['content'].replace('a', 'x') }}",
                "test", "", "", false);
        assertThat(t.render(List.of(ChatMessage.user("aa,b,,c")), false))
                .isEqualTo("aa|b||c;,b,,c;true;Aa,B,,C;xx,b,,c");
    }
}

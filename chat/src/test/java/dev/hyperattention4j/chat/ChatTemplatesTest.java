package dev.hyperattention4j.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.testing.ChatModels;
import dev.hyperattention4j.llm.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatTemplatesTest {
    static final String CHATML = TemplateShapes.CHATML;

    @Test
    void aModelWithoutTemplateGetsAClearMessage() throws IOException {
        try (Model m = ModelLoader.open(SharedData.tinystories656k())) {
            assertThatThrownBy(() -> ChatTemplates.of(m)).isInstanceOf(ChatTemplateException.class)
                    .hasMessage("model model.safetensors has no chat template (no chat_template in "
                            + "tokenizer_config.json and no chat_template.jinja beside it); use a plain prompt instead");
        }
        try (Model m = ModelLoader.open(SharedData.stories260k())) {
            assertThatThrownBy(() -> ChatTemplates.of(m)).isInstanceOf(ChatTemplateException.class)
                    .hasMessageContaining("a llama2c checkpoint carries no chat template");
        }
    }

    @Test
    void tokenizerConfigTemplateWithTheModelsBos(@TempDir Path dir) throws IOException {
        String template = "{{ bos_token }}" + CHATML;
        try (Model m = ModelLoader.open(ChatModels.tinyWithTemplate(dir, template))) {
            ChatTemplate t = ChatTemplates.of(m);
            assertThat(t.bosToken()).isEqualTo("<|start_story|>");
            assertThat(t.eosToken()).isEqualTo("<|end_story|>");
            List<ChatMessage> chat = List.of(ChatMessage.user("Once upon a time"));
            String text = t.render(chat, true);
            assertThat(text).startsWith("<|start_story|><|im_start|>system\n");
            int[] ids = t.encode(m.tokenizer(), chat);
            // the template wrote BOS itself: it becomes id 1 once, not twice
            assertThat(ids[0]).isEqualTo(1);
            assertThat(ids[1]).isNotEqualTo(1);
            assertThat(ids).isEqualTo(m.tokenizer().encode(text, false));
        }
    }

    @Test
    void bosIsAddedWhenTheTemplateDoesNotWriteIt(@TempDir Path dir) throws IOException {
        try (Model m = ModelLoader.open(ChatModels.tinyWithTemplate(dir, CHATML))) {
            List<ChatMessage> chat = List.of(ChatMessage.user("Hi"));
            int[] ids = ChatTemplates.of(m).encode(m.tokenizer(), chat);
            assertThat(ids).isEqualTo(m.tokenizer().encode(ChatTemplates.of(m).render(chat, true), true));
            assertThat(ids[0]).isEqualTo(1);
        }
    }

    @Test
    void ggufKeyIsRead(@TempDir Path dir) throws IOException {
        Path with = dir.resolve("with.gguf");
        Files.write(with, metadataOnlyGguf(ChatTemplates.GGUF_KEY, CHATML));
        Path without = dir.resolve("without.gguf");
        Files.write(without, metadataOnlyGguf("general.name", "x"));
        ChatTemplate t = ChatTemplates.fromGguf(with, StubTokenizer.INSTANCE).orElseThrow();
        assertThat(t.source()).isEqualTo(CHATML);
        assertThat(t.origin()).isEqualTo("tokenizer.chat_template of with.gguf");
        assertThat(ChatTemplates.fromGguf(without, StubTokenizer.INSTANCE)).isEmpty();
    }

    /** A GGUF v3 file with no tensors and one string key (enough for the metadata reader). */
    static byte[] metadataOnlyGguf(String key, String value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(64 + 2 * (key.length() + value.length() * 3)).order(ByteOrder.LITTLE_ENDIAN);
        b.put("GGUF".getBytes(StandardCharsets.US_ASCII)).putInt(3).putLong(0).putLong(1);
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        b.putLong(k.length).put(k).putInt(8).putLong(v.length).put(v);
        out.write(b.array(), 0, b.position());
        return Arrays.copyOf(out.toByteArray(), (out.size() + 31) / 32 * 32);
    }
}

package dev.hyperattention4j.chat;

import java.util.List;

/**
 * Small chat templates in the shapes of the common model families (Llama 3 headers, ChatML as Qwen2 uses it,
 * Mistral's [INST] with raise_exception, phi's tags over several lines, ChatGLM's prefix, a namespace with Python
 * string methods, a list slice with loop.last), written for these tests, and what the reference Jinja
 * implementation (jinja2 3.1.6 with Hugging Face's settings: trim_blocks, lstrip_blocks, raise_exception) renders
 * for two conversations. Generated once by a script from the same template strings; the strings are the oracle.
 */
final class TemplateShapes {
    private TemplateShapes() {
    }

    static final List<ChatMessage> SYSTEM_USER = List.of(ChatMessage.system("  Be brief.  "),
            ChatMessage.user("Hi there!\n"));
    static final List<ChatMessage> MULTI_TURN = List.of(ChatMessage.user("What is 2+2?"), ChatMessage.assistant(" 4 "),
            ChatMessage.user("And 3+3?"));

    // Template shapes of the common families, written for this test.
    static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
    static final String CHATML = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    static final String MISTRAL = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";
    static final String PHI = "{% for message in messages %}\n{% if message['role'] == 'system' %}\n{{ '<|system|>\\n' + message['content'] + '<|end|>\\n' }}\n{% elif message['role'] == 'user' %}\n{{ '<|user|>\\n' + message['content'] + '<|end|>\\n' }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\\n' + message['content'] + '<|end|>\\n' }}\n{% endif %}\n{% endfor %}\n{% if add_generation_prompt %}\n{{ '<|assistant|>\\n' }}\n{% else %}\n{{ eos_token }}\n{% endif %}";
    static final String CHATGLM = "{% for message in messages %}{% if loop.first %}[gMASK]sop<|{{ message['role'] }}|>\n {{ message['content'] }}{% else %}<|{{ message['role'] }}|>\n {{ message['content'] }}{% endif %}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";
    static final String NAMESPACE_STRIP = "{%- set ns = namespace(system='', turns=0) -%}{%- for message in messages -%}{%- if message['role'] == 'system' -%}{%- set ns.system = message['content'].strip() -%}{%- else -%}{%- set ns.turns = ns.turns + 1 -%}{%- endif -%}{%- endfor -%}{{ bos_token }}{% if ns.system %}<<SYS>>{{ ns.system }}<</SYS>>\n{% endif %}{%- for message in messages -%}{%- if message['role'] == 'system' -%}{%- elif message['role'].startswith('user') -%}User: {{ message['content'].strip() }}\n{%- else -%}Assistant: {{ message['content'] | trim }}{{ eos_token }}\n{%- endif -%}{%- endfor -%}{%- if add_generation_prompt %}Assistant ({{ ns.turns }} turns):{% endif %}";
    static final String SLICE_LAST = "{% if messages[0]['role'] == 'system' %}{% set system = messages[0]['content'] %}{% set rest = messages[1:] %}{% else %}{% set system = '' %}{% set rest = messages %}{% endif %}{% for message in rest %}{% if loop.last and message['role'] == 'user' and system %}[{{ system | upper }}] {% endif %}<{{ message['role'] }}>{{ message['content'] }}</{{ message['role'] }}>{% if not loop.last %}\n{% endif %}{% endfor %}{% if add_generation_prompt %}\n<assistant>{% endif %}";

    /** Expected renders (template, conversation, add_generation_prompt, text or null, error or null). */
    static final Object[][] EXPECTED = {
        {LLAMA3, "LLAMA3", SYSTEM_USER, true, "<s><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", null},
        {LLAMA3, "LLAMA3", SYSTEM_USER, false, "<s><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there!<|eot_id|>", null},
        {LLAMA3, "LLAMA3", MULTI_TURN, true, "<s><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", null},
        {LLAMA3, "LLAMA3", MULTI_TURN, false, "<s><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|>", null},
        {CHATML, "CHATML", SYSTEM_USER, true, "<|im_start|>system\n  Be brief.  <|im_end|>\n<|im_start|>user\nHi there!\n<|im_end|>\n<|im_start|>assistant\n", null},
        {CHATML, "CHATML", SYSTEM_USER, false, "<|im_start|>system\n  Be brief.  <|im_end|>\n<|im_start|>user\nHi there!\n<|im_end|>\n", null},
        {CHATML, "CHATML", MULTI_TURN, true, "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n 4 <|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n", null},
        {CHATML, "CHATML", MULTI_TURN, false, "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n 4 <|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n", null},
        {MISTRAL, "MISTRAL", SYSTEM_USER, true, null, "Conversation roles must alternate user/assistant/user/assistant/..."},
        {MISTRAL, "MISTRAL", SYSTEM_USER, false, null, "Conversation roles must alternate user/assistant/user/assistant/..."},
        {MISTRAL, "MISTRAL", MULTI_TURN, true, "<s>[INST] What is 2+2? [/INST] 4 </s>[INST] And 3+3? [/INST]", null},
        {MISTRAL, "MISTRAL", MULTI_TURN, false, "<s>[INST] What is 2+2? [/INST] 4 </s>[INST] And 3+3? [/INST]", null},
        {PHI, "PHI", SYSTEM_USER, true, "<|system|>\n  Be brief.  <|end|>\n\n<|user|>\nHi there!\n<|end|>\n\n<|assistant|>\n\n", null},
        {PHI, "PHI", SYSTEM_USER, false, "<|system|>\n  Be brief.  <|end|>\n\n<|user|>\nHi there!\n<|end|>\n\n</s>\n", null},
        {PHI, "PHI", MULTI_TURN, true, "<|user|>\nWhat is 2+2?<|end|>\n\n<|assistant|>\n 4 <|end|>\n\n<|user|>\nAnd 3+3?<|end|>\n\n<|assistant|>\n\n", null},
        {PHI, "PHI", MULTI_TURN, false, "<|user|>\nWhat is 2+2?<|end|>\n\n<|assistant|>\n 4 <|end|>\n\n<|user|>\nAnd 3+3?<|end|>\n\n</s>\n", null},
        {CHATGLM, "CHATGLM", SYSTEM_USER, true, "[gMASK]sop<|system|>\n   Be brief.  <|user|>\n Hi there!\n<|assistant|>", null},
        {CHATGLM, "CHATGLM", SYSTEM_USER, false, "[gMASK]sop<|system|>\n   Be brief.  <|user|>\n Hi there!\n", null},
        {CHATGLM, "CHATGLM", MULTI_TURN, true, "[gMASK]sop<|user|>\n What is 2+2?<|assistant|>\n  4 <|user|>\n And 3+3?<|assistant|>", null},
        {CHATGLM, "CHATGLM", MULTI_TURN, false, "[gMASK]sop<|user|>\n What is 2+2?<|assistant|>\n  4 <|user|>\n And 3+3?", null},
        {NAMESPACE_STRIP, "NAMESPACE_STRIP", SYSTEM_USER, true, "<s><<SYS>>Be brief.<</SYS>>\nUser: Hi there!Assistant (1 turns):", null},
        {NAMESPACE_STRIP, "NAMESPACE_STRIP", SYSTEM_USER, false, "<s><<SYS>>Be brief.<</SYS>>\nUser: Hi there!", null},
        {NAMESPACE_STRIP, "NAMESPACE_STRIP", MULTI_TURN, true, "<s>User: What is 2+2?Assistant: 4</s>User: And 3+3?Assistant (3 turns):", null},
        {NAMESPACE_STRIP, "NAMESPACE_STRIP", MULTI_TURN, false, "<s>User: What is 2+2?Assistant: 4</s>User: And 3+3?", null},
        {SLICE_LAST, "SLICE_LAST", SYSTEM_USER, true, "[  BE BRIEF.  ] <user>Hi there!\n</user><assistant>", null},
        {SLICE_LAST, "SLICE_LAST", SYSTEM_USER, false, "[  BE BRIEF.  ] <user>Hi there!\n</user>", null},
        {SLICE_LAST, "SLICE_LAST", MULTI_TURN, true, "<user>What is 2+2?</user><assistant> 4 </assistant><user>And 3+3?</user><assistant>", null},
        {SLICE_LAST, "SLICE_LAST", MULTI_TURN, false, "<user>What is 2+2?</user><assistant> 4 </assistant><user>And 3+3?</user>", null},
    };
}

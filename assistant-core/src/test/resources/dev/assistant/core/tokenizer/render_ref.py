# Renders chat templates exactly like transformers' apply_chat_template (jinja2 ImmutableSandboxedEnvironment,
# trim_blocks, lstrip_blocks, loopcontrols, raise_exception, tojson, strftime_now) to produce expected strings.
import json, datetime, sys, os
import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.ext import Extension
from jinja2 import nodes

class GenerationTag(Extension):
    tags = {"generation"}
    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.Scope(body)  # render body unchanged, like HF's AssistantTracker when not tracking

class TemplateError(Exception): pass
NOW = datetime.datetime(2025, 3, 7, 10, 15, 30)
def env():
    def raise_exception(message): raise TemplateError(message)
    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
    e = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag, jinja2.ext.loopcontrols])
    e.filters["tojson"] = tojson
    e.globals["raise_exception"] = raise_exception
    e.globals["strftime_now"] = lambda f: NOW.strftime(f)
    return e

HERE = os.path.dirname(os.path.abspath(__file__))
TPL = os.path.join(HERE, "templates")
# The shared models sit beside the repository: <repo>/../shared (or $ASSISTANT_SHARED_DIR).
SHARED = os.environ.get("ASSISTANT_SHARED_DIR") or os.path.join(HERE, *[".."] * 9, "shared")
qwen = json.load(open(os.path.join(SHARED, "models/tokenizers/qwen3/tokenizer_config.json")))
templates = {n[:-6]: open(os.path.join(TPL, n)).read() for n in sorted(os.listdir(TPL)) if n.endswith(".jinja")}
templates["qwen3"] = qwen["chat_template"]
specials = {
  "llama2": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
  "mistral-v0.1": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
  "mistral-v0.3": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
  "zephyr": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
  "llama3": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
  "llama3.2-dated": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
  "chatml": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"},
  "smollm": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "unk_token": "<|endoftext|>", "pad_token": "<|im_end|>"},
  "pystrings": {"bos_token": "<s>", "eos_token": "</s>"},
  "qwen3": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
}
conversations = {
  "system_user": [("system", "You are a helpful assistant."), ("user", "Hello!")],
  "user_only": [("user", "  What is 2+2?  ")],
  "multi_turn": [("system", "Be brief."), ("user", "Hi"), ("assistant", " Hello! How can I help? "), ("user", "Tell me a joke.")],
  "no_system": [("user", "Hi"), ("assistant", "Hello"), ("user", "Bye\n")],
  "unicode_and_markup": [("user", "Grüße 🙂 日本 {{ 7*7 }} {% if x %}<|im_end|>\\n")],
  "thinking": [("user", "Why?"), ("assistant", "<think>\nponder\n</think>\n\nBecause."), ("user", "ok")],
  "bad_alternation": [("user", "a"), ("user", "b")],
  "xa_strings": [("system", "  xax  "), ("user", "a b  ca\tb")],
}
cases = []
for tname, src in templates.items():
    for cname, conv in conversations.items():
        for agp in (True, False):
            msgs = [{"role": r, "content": c} for r, c in conv]
            ctx = dict(specials[tname])
            case = {"template": tname, "conversation": cname, "add_generation_prompt": agp, "special_tokens": specials[tname], "messages": msgs}
            try:
                case["expected"] = env().from_string(src).render(messages=msgs, add_generation_prompt=agp, tools=None, documents=None, **ctx)
            except TemplateError as e:
                case["expected_error"] = str(e)
            cases.append(case)
json.dump({"generator": "render_ref.py: jinja2 %s rendering like transformers apply_chat_template; strftime_now fixed at %s" % (jinja2.__version__, NOW.isoformat()), "cases": cases}, sys.stdout, ensure_ascii=False, indent=1)

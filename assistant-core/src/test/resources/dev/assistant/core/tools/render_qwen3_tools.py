#!/usr/bin/env python3
"""Renders the Qwen3 chat template with tools the way HF transformers' apply_chat_template does (jinja2 sandbox,
trim_blocks, lstrip_blocks, tojson = json.dumps(ensure_ascii=False)), writing the golden text ToolTemplateTest
compares the SDK's Jinjava rendering against. Usage: render_qwen3_tools.py <shared>/models/tokenizers/qwen3 > qwen3_tools.txt"""
import json
import sys

from jinja2.sandbox import ImmutableSandboxedEnvironment

config = json.load(open(sys.argv[1] + "/tokenizer_config.json"))
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
env.filters["tojson"] = lambda x, indent=None: json.dumps(x, ensure_ascii=False, indent=indent)
tools = [
    {"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city",
                                      "parameters": {"type": "object",
                                                     "properties": {"city": {"type": "string"}},
                                                     "required": ["city"]}}},
    {"type": "function", "function": {"name": "get_time", "description": "Local time in a city",
                                      "parameters": {"type": "object",
                                                     "properties": {"city": {"type": "string"}}}}},
]
messages = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Weather and time in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
        {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": {"city": "Paris"}}}]},
    {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "{\"temp\": 21}"},
    {"role": "tool", "tool_call_id": "call_2", "name": "get_time", "content": "12:00"},
]
out = env.from_string(config["chat_template"]).render(messages=messages, tools=tools, add_generation_prompt=True)
sys.stdout.write(out)

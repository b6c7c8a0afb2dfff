// Drives the server with the official OpenAI Node SDK: json_schema output, logprobs and n=2, whole and streamed.
// Usage: node structured-output.mjs <baseUrl> <apiKey> <model>. Prints one JSON object with what it received;
// NodeSdkTest checks it. Any SDK error fails the process (non-zero exit).
import OpenAI from 'openai';

const [baseURL, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60000 });

const schema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 12 },
    age: { type: 'integer', minimum: 1, maximum: 99 },
    pets: { type: 'array', items: { enum: ['cat', 'dog', 'fish'] }, maxItems: 3 },
  },
  required: ['name', 'age', 'pets'],
  additionalProperties: false,
};
const base = { model, messages: [{ role: 'user', content: 'Once upon a time' }], temperature: 1 };
const format = { type: 'json_schema', json_schema: { name: 'person', strict: true, schema } };

const out = { schema, structured: [], streamed: [] };
for (let seed = 0; seed < 5; seed++) {
  const c = await client.chat.completions.create({ ...base, seed, max_completion_tokens: 80, response_format: format });
  out.structured.push({ text: c.choices[0].message.content, finish: c.choices[0].finish_reason });
  const stream = await client.chat.completions.create({
    ...base, seed, max_completion_tokens: 80, response_format: format, stream: true,
  });
  let text = '';
  for await (const chunk of stream) {
    for (const choice of chunk.choices) {
      text += choice.delta?.content ?? '';
    }
  }
  out.streamed.push(text);
}

const withLogprobs = await client.chat.completions.create({
  ...base, seed: 5, max_completion_tokens: 10, logprobs: true, top_logprobs: 3,
});
out.logprobs = {
  completionTokens: withLogprobs.usage.completion_tokens,
  content: withLogprobs.choices[0].logprobs.content.map((t) => ({
    token: t.token, logprob: t.logprob, bytes: t.bytes, top: t.top_logprobs.map((a) => a.logprob),
  })),
};

const two = await client.chat.completions.create({ ...base, seed: 11, max_completion_tokens: 24, n: 2 });
out.choices = two.choices.map((c) => ({ index: c.index, text: c.message.content, finish: c.finish_reason }));
const twoStream = await client.chat.completions.create({
  ...base, seed: 11, max_completion_tokens: 24, n: 2, stream: true,
});
const streamedChoices = {};
for await (const chunk of twoStream) {
  for (const choice of chunk.choices) {
    streamedChoices[choice.index] = (streamedChoices[choice.index] ?? '') + (choice.delta?.content ?? '');
  }
}
out.streamedChoices = streamedChoices;

const legacy = await client.completions.create({
  model, prompt: 'Once upon a time', max_tokens: 6, temperature: 0, logprobs: 2, n: 2,
});
out.legacy = legacy.choices.map((c) => ({ text: c.text, tokens: c.logprobs.tokens, top: c.logprobs.top_logprobs }));

process.stdout.write(JSON.stringify(out));

// Drives tool calling through the official OpenAI Node SDK against the server under test.
// Usage: node tool-calls.mjs <baseUrl> <apiKey> <model>; prints one JSON object with what the SDK returned.
import OpenAI from 'openai';

const [baseURL, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60_000 });

// Small: stories260K's context is 512 tokens.
const weather = {
  type: 'function',
  function: {
    name: 'weather',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', maxLength: 10 }, days: { type: 'integer', minimum: 1, maximum: 7 } },
      required: ['city', 'days'],
      additionalProperties: false,
    },
  },
};
const question = [{ role: 'user', content: 'Weather in Rome?' }];
const forced = { type: 'function', function: { name: 'weather' } };

const whole = await client.chat.completions.create({
  model, messages: question, tools: [weather], tool_choice: forced, max_completion_tokens: 60, temperature: 1,
});

// Raw chunks as they arrive, and the SDK's own stream helper assembling them.
const chunks = [];
const stream = client.chat.completions.stream({
  model, messages: question, tools: [weather], tool_choice: 'required', max_completion_tokens: 60, temperature: 1,
  seed: 3,
});
stream.on('chunk', (chunk) => chunks.push(chunk));
const streamed = await stream.finalChatCompletion();

const message = whole.choices[0].message;
const answer = await client.chat.completions.create({
  model,
  messages: [...question, message,
    { role: 'tool', tool_call_id: message.tool_calls[0].id, content: '{"sky": "clear"}' }],
  tools: [weather], tool_choice: 'none', max_completion_tokens: 8, temperature: 0,
});

let rejected = null;
try {
  await client.chat.completions.create({
    model, messages: question, tools: [weather], tool_choice: { type: 'function', function: { name: 'nope' } },
  });
} catch (e) {
  rejected = { status: e.status, message: e.message };
}

console.log(JSON.stringify({ whole, chunks, streamed, answer, rejected }));

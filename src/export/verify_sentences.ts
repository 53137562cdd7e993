/** Default sentences for `export --verify`: mixed lengths so batches carry real padding. */
export const VERIFY_SENTENCES = [
  'A man is playing a guitar.',
  'Hello',
  'The quick brown fox jumps over the lazy dog near the river bank on a sunny afternoon.',
  'Two dogs run across a snowy field.',
  'Stock markets fell sharply on Monday after the central bank raised interest rates by half a percentage point, the largest increase in two decades.',
  'What is the capital of France?',
  'Ünïcödé and accents: café, naïve, façade.',
  'Numbers 123 and symbols #$% are tokenized too.',
  'A woman is slicing an onion.',
  'The cat sat on the mat.',
  '中文句子也可以编码。',
  'ok',
];
